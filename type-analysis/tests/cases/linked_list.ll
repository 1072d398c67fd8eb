; struct node { double v; struct node *next; }: the recursive type unrolls
; until the depth limit (6), as in Enzyme.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-types;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define double @sum(ptr %head) {
entry:
  %empty = icmp eq ptr %head, null
  br i1 %empty, label %exit, label %loop
loop:
  %n = phi ptr [ %next, %loop ], [ %head, %entry ]
  %s = phi double [ %s.next, %loop ], [ 0.0, %entry ]
  %v = load double, ptr %n, align 8
  %s.next = fadd double %s, %v
  %next.p = getelementptr inbounds i8, ptr %n, i64 8
  %next = load ptr, ptr %next.p, align 8
  %end = icmp eq ptr %next, null
  br i1 %end, label %exit, label %loop
exit:
  %r = phi double [ 0.0, %entry ], [ %s.next, %loop ]
  ret double %r
}

; CHECK-LABEL: function @sum:
; CHECK-NEXT: %head: {[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Pointer, [-1,8,0]:Float@double, [-1,8,8]:Pointer, [-1,8,8,0]:Float@double, [-1,8,8,8]:Pointer, [-1,8,8,8,0]:Float@double, [-1,8,8,8,8]:Pointer, [-1,8,8,8,8,0]:Float@double, [-1,8,8,8,8,8]:Pointer}
; CHECK: %next: {[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Pointer, [-1,8,0]:Float@double,
; CHECK-NOT: conflict
