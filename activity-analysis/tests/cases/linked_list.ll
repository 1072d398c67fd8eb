; Walking a linked list { double value; node* next }: the next pointers
; are loaded from shadowed memory, so they are shadowed (the shadow list is
; walked alongside), but loading a pointer is not derivative work.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-activity;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define double @list_sum(ptr %head) {
entry:
  br label %loop

loop:
  %node = phi ptr [ %head, %entry ], [ %next, %loop ]
  %acc = phi double [ 0.0, %entry ], [ %acc.next, %loop ]
  %v = load double, ptr %node, align 8
  %acc.next = fadd double %acc, %v
  %nextp = getelementptr inbounds i8, ptr %node, i64 8
  %next = load ptr, ptr %nextp, align 8
  %end = icmp eq ptr %next, null
  br i1 %end, label %exit, label %loop

exit:
  ret double %acc.next
}

; CHECK-LABEL: function @list_sum: default activities
; CHECK-NEXT: request: (%head: dup) -> active
; CHECK-NEXT: canonical: (%head: dup) -> activenoneed
; CHECK-NEXT: note: return: active -> activenoneed: the request does not return the primal value
; CHECK-NEXT: %head: shadowed
; CHECK-NEXT: %node: value=shadowed inst=const
; CHECK-NEXT: %acc: value=active inst=active
; CHECK-NEXT: %v: value=active inst=active
; CHECK-NEXT: %acc.next: value=active inst=active
; CHECK-NEXT: %nextp: value=shadowed inst=const
; CHECK-NEXT: %next: value=shadowed inst=const
; CHECK-NEXT: %end: value=const inst=const
; CHECK-NEXT: ret %acc.next: inst=active
