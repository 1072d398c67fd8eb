; clang-22 -O0 of a linked-list traversal:
;   struct node { double v; struct node *next; };
;   double sum(struct node *head) {
;     double s = 0; for (struct node *n = head; n; n = n->next) s += n->v; return s; }
; The node pointer lives in a stack slot (%n) that holds both head and
; n->next: the recursive type unrolls (double at 0, node* at 8, ...) until
; the depth limit, the same in the slot, in head and in each load of it.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-types;all>' -disable-output %s 2>&1 | FileCheck-22 %s
; ModuleID = 'list_o0.c'
source_filename = "list_o0.c"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

%struct.node = type { double, ptr }

; Function Attrs: noinline nounwind optnone uwtable
define dso_local double @sum(ptr noundef %head) #0 {
entry:
  %head.addr = alloca ptr, align 8
  %s = alloca double, align 8
  %n = alloca ptr, align 8
  store ptr %head, ptr %head.addr, align 8
  store double 0.000000e+00, ptr %s, align 8
  %0 = load ptr, ptr %head.addr, align 8
  store ptr %0, ptr %n, align 8
  br label %for.cond

for.cond:                                         ; preds = %for.inc, %entry
  %1 = load ptr, ptr %n, align 8
  %tobool = icmp ne ptr %1, null
  br i1 %tobool, label %for.body, label %for.end

for.body:                                         ; preds = %for.cond
  %2 = load ptr, ptr %n, align 8
  %v = getelementptr inbounds nuw %struct.node, ptr %2, i32 0, i32 0
  %3 = load double, ptr %v, align 8
  %4 = load double, ptr %s, align 8
  %add = fadd double %4, %3
  store double %add, ptr %s, align 8
  br label %for.inc

for.inc:                                          ; preds = %for.body
  %5 = load ptr, ptr %n, align 8
  %next = getelementptr inbounds nuw %struct.node, ptr %5, i32 0, i32 1
  %6 = load ptr, ptr %next, align 8
  store ptr %6, ptr %n, align 8
  br label %for.cond, !llvm.loop !6

for.end:                                          ; preds = %for.cond
  %7 = load double, ptr %s, align 8
  ret double %7
}

attributes #0 = { noinline nounwind optnone uwtable "frame-pointer"="all" "min-legal-vector-width"="0" "no-trapping-math"="true" "stack-protector-buffer-size"="8" "target-cpu"="x86-64" "target-features"="+cmov,+cx8,+fxsr,+mmx,+sse,+sse2,+x87" "tune-cpu"="generic" }

!llvm.module.flags = !{!0, !1, !2, !3, !4}
!llvm.ident = !{!5}

!0 = !{i32 1, !"wchar_size", i32 4}
!1 = !{i32 8, !"PIC Level", i32 2}
!2 = !{i32 7, !"PIE Level", i32 2}
!3 = !{i32 7, !"uwtable", i32 2}
!4 = !{i32 7, !"frame-pointer", i32 2}
!5 = !{!"Debian clang version 22.1.8 (1~deb12u1)"}
!6 = distinct !{!6, !7}
!7 = !{!"llvm.loop.mustprogress"}

; CHECK-LABEL: function @sum:
; CHECK-NEXT: %head: {[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Pointer, [-1,8,0]:Float@double, [-1,8,8]:Pointer, [-1,8,8,0]:Float@double, [-1,8,8,8]:Pointer,
; CHECK-NEXT: %head.addr: {[-1]:Pointer, [-1,0]:Pointer, [-1,0,0]:Float@double, [-1,0,8]:Pointer, [-1,0,8,0]:Float@double, [-1,0,8,8]:Pointer,
; CHECK-NEXT: %s: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NEXT: %n: {[-1]:Pointer, [-1,0]:Pointer, [-1,0,0]:Float@double, [-1,0,8]:Pointer, [-1,0,8,0]:Float@double, [-1,0,8,8]:Pointer,
; CHECK-NEXT: %0: {[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Pointer, [-1,8,0]:Float@double, [-1,8,8]:Pointer,
; CHECK-NEXT: %1: {[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Pointer, [-1,8,0]:Float@double, [-1,8,8]:Pointer,
; CHECK-NEXT: %tobool: {[-1]:Integer}
; CHECK-NEXT: %2: {[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Pointer, [-1,8,0]:Float@double, [-1,8,8]:Pointer,
; CHECK-NEXT: %v: {[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Pointer, [-1,8,0]:Float@double, [-1,8,8]:Pointer,
; CHECK-NEXT: %3: {[-1]:Float@double}
; CHECK-NEXT: %4: {[-1]:Float@double}
; CHECK-NEXT: %add: {[-1]:Float@double}
; CHECK-NEXT: %5: {[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Pointer, [-1,8,0]:Float@double, [-1,8,8]:Pointer,
; CHECK-NEXT: %next: {[-1]:Pointer, [-1,0]:Pointer, [-1,0,0]:Float@double, [-1,0,8]:Pointer, [-1,0,8,0]:Float@double, [-1,0,8,8]:Pointer,
; CHECK-NEXT: %6: {[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Pointer, [-1,8,0]:Float@double, [-1,8,8]:Pointer,
; CHECK-NEXT: %7: {[-1]:Float@double}
; CHECK-NEXT: return: {[-1]:Float@double}
; CHECK-NOT: conflict
