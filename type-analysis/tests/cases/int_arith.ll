; Integer arithmetic: comparisons share operand types, narrow integers
; (smaller than a pointer) added to an integer are integers, mul/div/rem
; are integers; an i64 only compared with null-free integers stays an int.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-types;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define i64 @ints(i64 %a, i64 %b, i32 %c, i64 %d) {
  %lt = icmp slt i64 %a, %b
  %q = sdiv i64 %b, 3
  %c1 = add i32 %c, 1
  %r = urem i64 %d, 10
  %m = call i64 @llvm.umax.i64(i64 %r, i64 %a)
  ret i64 %m
}
declare i64 @llvm.umax.i64(i64, i64)

; CHECK-LABEL: function @ints:
; CHECK-NEXT: %a: {[-1]:Integer}
; CHECK-NEXT: %b: {[-1]:Integer}
; CHECK-NEXT: %c: {[-1]:Integer}
; CHECK-NEXT: %d: {[-1]:Integer}
; CHECK-NEXT: %lt: {[-1]:Integer}
; CHECK-NEXT: %q: {[-1]:Integer}
; CHECK-NEXT: %c1: {[-1]:Integer}
; CHECK-NEXT: %r: {[-1]:Integer}
; CHECK-NEXT: %m: {[-1]:Integer}
; CHECK-NEXT: return: {[-1]:Integer}
