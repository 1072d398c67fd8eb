; x^n by repeated multiplication: the loop-carried phi of the product is
; active, the counter phi is not.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-activity;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define double @powi(double %x, i32 %n) {
entry:
  br label %loop

loop:
  %k = phi i32 [ 0, %entry ], [ %k.next, %loop ]
  %p = phi double [ 1.0, %entry ], [ %p.next, %loop ]
  %p.next = fmul double %p, %x
  %k.next = add i32 %k, 1
  %more = icmp slt i32 %k.next, %n
  br i1 %more, label %loop, label %exit

exit:
  %r = phi double [ %p.next, %loop ]
  ret double %r
}

; CHECK-LABEL: function @powi: default activities
; CHECK-NEXT: request: (%x: active, %n: const) -> active
; CHECK-NEXT: canonical: (%x: active, %n: const) -> activenoneed
; CHECK-NEXT: note: return: active -> activenoneed: the request does not return the primal value
; CHECK-NEXT: %x: active
; CHECK-NEXT: %n: const
; CHECK-NEXT: %k: value=const inst=const
; CHECK-NEXT: %p: value=active inst=active
; CHECK-NEXT: %p.next: value=active inst=active
; CHECK-NEXT: %k.next: value=const inst=const
; CHECK-NEXT: %more: value=const inst=const
; CHECK-NEXT: %r: value=active inst=active
; CHECK-NEXT: ret %r: inst=active
