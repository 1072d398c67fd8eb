; A pointer to an integer array is constant: nothing it points to can
; carry a derivative, so the duplicated argument canonicalizes to const and
; the integer loads and the conversion are constant.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-activity;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define double @weighted(ptr %w, double %x, i64 %n) {
entry:
  br label %loop

loop:
  %i = phi i64 [ 0, %entry ], [ %i.next, %loop ]
  %acc = phi double [ 0.0, %entry ], [ %acc.next, %loop ]
  %p = getelementptr inbounds i32, ptr %w, i64 %i
  %k = load i32, ptr %p, align 4
  %kf = sitofp i32 %k to double
  %t = fmul double %kf, %x
  %acc.next = fadd double %acc, %t
  %i.next = add nuw i64 %i, 1
  %done = icmp eq i64 %i.next, %n
  br i1 %done, label %exit, label %loop

exit:
  ret double %acc.next
}

; CHECK-LABEL: function @weighted: default activities
; CHECK-NEXT: request: (%w: dup, %x: active, %n: const) -> active
; CHECK-NEXT: canonical: (%w: const, %x: active, %n: const) -> activenoneed
; CHECK-NEXT: note: %w: dup -> const: it points to integer-only memory
; CHECK-NEXT: note: return: active -> activenoneed: the request does not return the primal value
; CHECK-NEXT: %w: const
; CHECK-NEXT: %x: active
; CHECK-NEXT: %n: const
; CHECK-NEXT: %i: value=const inst=const
; CHECK-NEXT: %acc: value=active inst=active
; CHECK-NEXT: %p: value=const inst=const
; CHECK-NEXT: %k: value=const inst=const
; CHECK-NEXT: %kf: value=const inst=const ; useful, not varied
; CHECK-NEXT: %t: value=active inst=active
; CHECK-NEXT: %acc.next: value=active inst=active
; CHECK-NEXT: %i.next: value=const inst=const
; CHECK-NEXT: %done: value=const inst=const
; CHECK-NEXT: ret %acc.next: inst=active
