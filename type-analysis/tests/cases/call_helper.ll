; A double* passed to a helper: the helper's loads type the caller's
; pointer, and the helper's return flows back to the call.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-types;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define internal i64 @first_bits(ptr %p) {
  %v = load double, ptr %p, align 8
  %b = bitcast double %v to i64
  ret i64 %b
}

define double @caller(ptr %a) {
  %s = getelementptr inbounds i8, ptr %a, i64 8
  %b = call i64 @first_bits(ptr %s)
  %d = bitcast i64 %b to double
  ret double %d
}

; CHECK-LABEL: function @first_bits:
; CHECK-NEXT: %p: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NEXT: %v: {[-1]:Float@double}
; CHECK-NEXT: %b: {[-1]:Float@double}
; CHECK-NEXT: return: {[-1]:Float@double}
; CHECK-LABEL: function @caller:
; CHECK-NEXT: %a: {[-1]:Pointer, [-1,8]:Float@double}
; CHECK-NEXT: %s: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NEXT: %b: {[-1]:Float@double}
