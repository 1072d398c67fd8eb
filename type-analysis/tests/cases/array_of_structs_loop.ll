; struct P { double x, y; int id; } ps[n], indexed in a loop with a
; struct-typed GEP: the stride (24) is the struct's size, fields keep their
; offsets, and the int field is an integer.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-types;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

%struct.P = type { double, double, i32 }

define double @tot(ptr %ps, i64 %n) {
entry:
  br label %loop
loop:
  %i = phi i64 [ 0, %entry ], [ %i.next, %loop ]
  %s = phi double [ 0.0, %entry ], [ %s.next, %loop ]
  %x.p = getelementptr inbounds %struct.P, ptr %ps, i64 %i, i32 0
  %x = load double, ptr %x.p, align 8
  %y.p = getelementptr inbounds %struct.P, ptr %ps, i64 %i, i32 1
  %y = load double, ptr %y.p, align 8
  %id.p = getelementptr inbounds %struct.P, ptr %ps, i64 %i, i32 2
  %id = load i32, ptr %id.p, align 8
  %idf = sitofp i32 %id to double
  %xy = fmul double %x, %y
  %t = fadd double %xy, %idf
  %s.next = fadd double %s, %t
  %i.next = add nuw i64 %i, 1
  %done = icmp eq i64 %i.next, %n
  br i1 %done, label %exit, label %loop
exit:
  ret double %s.next
}

; CHECK-LABEL: function @tot:
; CHECK-NEXT: %ps: {[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Float@double, [-1,16]:Integer}
; CHECK-NEXT: %n: {[-1]:Integer}
; CHECK: %y.p: {[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Integer}
; CHECK: %id.p: {[-1]:Pointer, [-1,0]:Integer}
; CHECK-NEXT: %id: {[-1]:Integer}
