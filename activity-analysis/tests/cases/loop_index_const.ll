; An index computation inside a loop is constant: the induction variable,
; its increment, the comparison and the address arithmetic. Only the float
; accumulator and what feeds it carry derivatives.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-activity;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define double @sumsq(ptr %x, i64 %n) {
entry:
  br label %loop

loop:
  %i = phi i64 [ 0, %entry ], [ %i.next, %loop ]
  %acc = phi double [ 0.0, %entry ], [ %acc.next, %loop ]
  %p = getelementptr inbounds double, ptr %x, i64 %i
  %v = load double, ptr %p, align 8
  %sq = fmul double %v, %v
  %acc.next = fadd double %acc, %sq
  %i.next = add nuw i64 %i, 1
  %done = icmp eq i64 %i.next, %n
  br i1 %done, label %exit, label %loop

exit:
  ret double %acc.next
}

; CHECK-LABEL: function @sumsq: default activities
; CHECK-NEXT: request: (%x: dup, %n: const) -> active
; CHECK-NEXT: canonical: (%x: dup, %n: const) -> activenoneed
; CHECK-NEXT: note: return: active -> activenoneed: the request does not return the primal value
; CHECK-NEXT: %x: shadowed
; CHECK-NEXT: %n: const
; CHECK-NEXT: %i: value=const inst=const
; CHECK-NEXT: %acc: value=active inst=active
; CHECK-NEXT: %p: value=shadowed inst=const
; CHECK-NEXT: %v: value=active inst=active
; CHECK-NEXT: %sq: value=active inst=active
; CHECK-NEXT: %acc.next: value=active inst=active
; CHECK-NEXT: %i.next: value=const inst=const
; CHECK-NEXT: %done: value=const inst=const
; CHECK-NEXT: ret %acc.next: inst=active
