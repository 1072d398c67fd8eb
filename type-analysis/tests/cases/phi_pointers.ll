; A pointer walked by a constant step in a loop (`p += 8` bytes): the
; elements fold onto one stride (the next element is known to look like this
; one), so the fixed point stays small instead of growing by 8 bytes per
; round; a constant step from a walker sees the same element layout, spelled
; out over the first 32 bytes (the widest vector access); a select
; of two pointers joins their pointees.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-types;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define double @walk(ptr %begin, ptr %end, ptr %other, i1 %c) {
entry:
  br label %loop
loop:
  %p = phi ptr [ %begin, %entry ], [ %p.next, %loop ]
  %acc = phi double [ 0.0, %entry ], [ %acc.next, %loop ]
  %v = load double, ptr %p, align 8
  %acc.next = fadd double %acc, %v
  %p.next = getelementptr inbounds i8, ptr %p, i64 8
  %done = icmp eq ptr %p.next, %end
  br i1 %done, label %exit, label %loop
exit:
  %q = select i1 %c, ptr %begin, ptr %other
  ret double %acc.next
}

; CHECK-LABEL: function @walk:
; CHECK-NEXT: %begin: {[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Float@double, [-1,16]:Float@double, [-1,24]:Float@double}
; CHECK-NEXT: %end: {[-1]:Pointer}
; CHECK-NEXT: %other: {[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Float@double, [-1,16]:Float@double, [-1,24]:Float@double}
; CHECK-NEXT: %c: {[-1]:Integer}
; CHECK-NEXT: %p: {[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Float@double, [-1,16]:Float@double, [-1,24]:Float@double}
; CHECK-NEXT: %acc: {[-1]:Float@double}
; CHECK-NEXT: %v: {[-1]:Float@double}
; CHECK-NEXT: %acc.next: {[-1]:Float@double}
; CHECK-NEXT: %p.next: {[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Float@double, [-1,16]:Float@double, [-1,24]:Float@double}
; CHECK-NEXT: %done: {[-1]:Integer}
; CHECK-NEXT: %q: {[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Float@double, [-1,16]:Float@double, [-1,24]:Float@double}
