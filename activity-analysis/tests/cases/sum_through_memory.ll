; A sum kept in memory: the running total lives in *out (a duplicated
; pointer) and is loaded, updated and stored back each iteration, so the
; loads and stores of *out are active as much as the loads of x[i].
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-activity;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define void @sum(ptr %x, ptr %out, i64 %n) {
entry:
  store double 0.0, ptr %out, align 8
  br label %loop

loop:
  %i = phi i64 [ 0, %entry ], [ %i.next, %loop ]
  %p = getelementptr inbounds double, ptr %x, i64 %i
  %v = load double, ptr %p, align 8
  %s = load double, ptr %out, align 8
  %s.next = fadd double %s, %v
  store double %s.next, ptr %out, align 8
  %i.next = add nuw i64 %i, 1
  %done = icmp eq i64 %i.next, %n
  br i1 %done, label %exit, label %loop

exit:
  ret void
}

; CHECK-LABEL: function @sum: default activities
; CHECK-NEXT: request: (%x: dup, %out: dup, %n: const) -> void
; CHECK-NEXT: canonical: (%x: dup, %out: dup, %n: const) -> void
; CHECK-NEXT: %x: shadowed
; CHECK-NEXT: %out: shadowed
; CHECK-NEXT: %n: const
; CHECK-NEXT: store double 0.000000e+00, %out: inst=active
; CHECK-NEXT: %i: value=const inst=const
; CHECK-NEXT: %p: value=shadowed inst=const
; CHECK-NEXT: %v: value=active inst=active
; CHECK-NEXT: %s: value=active inst=active
; CHECK-NEXT: %s.next: value=active inst=active
; CHECK-NEXT: store %s.next, %out: inst=active
; CHECK-NEXT: %i.next: value=const inst=const
; CHECK-NEXT: %done: value=const inst=const
