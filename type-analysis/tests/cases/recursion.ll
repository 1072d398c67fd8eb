; Mutual recursion converges: the double* and the counter reach both
; functions whichever is visited first.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-types;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define double @even(ptr %x, i32 %n) {
entry:
  %z = icmp eq i32 %n, 0
  br i1 %z, label %base, label %rec
base:
  ret double 1.0
rec:
  %m = add nsw i32 %n, -1
  %r = call double @odd(ptr %x, i32 %m)
  ret double %r
}

define double @odd(ptr %y, i32 %k) {
  %v = load double, ptr %y, align 8
  %r = call double @even(ptr %y, i32 %k)
  %p = fmul double %v, %r
  ret double %p
}

; CHECK-LABEL: function @even:
; CHECK-NEXT: %x: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NEXT: %n: {[-1]:Integer}
; CHECK: %m: {[-1]:Integer}
; CHECK-NEXT: %r: {[-1]:Float@double}
; CHECK-NEXT: return: {[-1]:Float@double}
; CHECK-LABEL: function @odd:
; CHECK-NEXT: %y: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NEXT: %k: {[-1]:Integer}
; CHECK-NOT: conflict
