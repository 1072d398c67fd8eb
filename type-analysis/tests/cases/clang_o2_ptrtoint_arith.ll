; clang-22 -O2 of pointer arithmetic done on integers:
;   struct S { double x; long n; };
;   long get_n(struct S *s) { uintptr_t a = (uintptr_t)s; a += 8; return *(long *)a + (long)s->x; }
;   double *align_down(double *p) { return (double *)((uintptr_t)p & ~(uintptr_t)15); }
;   double sum_aligned(double *p) { double *q = align_down(p); return q[0] + q[1]; }
;   long dist(double *a, double *b) { return (uintptr_t)b - (uintptr_t)a; }
; ptrtoint keeps the pointer's tree; int + 8 and int & -16 are still
; pointers, and inttoptr of them carries what is read through them (the
; long at s+8 is an Integer, not the double at s); pointer - pointer is an
; integer.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-types;all>' -disable-output %s 2>&1 | FileCheck-22 %s
; ModuleID = 'ptrint_o2.c'
source_filename = "ptrint_o2.c"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

; Function Attrs: mustprogress nofree norecurse nosync nounwind willreturn memory(read, inaccessiblemem: none, target_mem0: none, target_mem1: none) uwtable
define dso_local i64 @get_n(ptr noundef %s) local_unnamed_addr #0 {
entry:
  %0 = ptrtoint ptr %s to i64
  %add = add i64 %0, 8
  %1 = inttoptr i64 %add to ptr
  %2 = load i64, ptr %1, align 8, !tbaa !9
  %3 = load double, ptr %s, align 8, !tbaa !11
  %conv = fptosi double %3 to i64
  %add1 = add nsw i64 %2, %conv
  ret i64 %add1
}

; Function Attrs: mustprogress nofree norecurse nosync nounwind willreturn memory(none) uwtable
define dso_local noundef ptr @align_down(ptr noundef %p) local_unnamed_addr #1 {
entry:
  %0 = ptrtoint ptr %p to i64
  %and = and i64 %0, -16
  %1 = inttoptr i64 %and to ptr
  ret ptr %1
}

; Function Attrs: mustprogress nofree norecurse nosync nounwind willreturn memory(read, inaccessiblemem: none, target_mem0: none, target_mem1: none) uwtable
define dso_local double @sum_aligned(ptr noundef %p) local_unnamed_addr #0 {
entry:
  %0 = ptrtoint ptr %p to i64
  %and.i = and i64 %0, -16
  %1 = inttoptr i64 %and.i to ptr
  %2 = load double, ptr %1, align 16, !tbaa !14
  %arrayidx1 = getelementptr inbounds nuw i8, ptr %1, i64 8
  %3 = load double, ptr %arrayidx1, align 8, !tbaa !14
  %add = fadd double %2, %3
  ret double %add
}

; Function Attrs: mustprogress nofree norecurse nosync nounwind willreturn memory(none) uwtable
define dso_local noundef i64 @dist(ptr noundef %a, ptr noundef %b) local_unnamed_addr #1 {
entry:
  %0 = ptrtoint ptr %b to i64
  %1 = ptrtoint ptr %a to i64
  %sub = sub i64 %0, %1
  ret i64 %sub
}

attributes #0 = { mustprogress nofree norecurse nosync nounwind willreturn memory(read, inaccessiblemem: none, target_mem0: none, target_mem1: none) uwtable "min-legal-vector-width"="0" "no-trapping-math"="true" "stack-protector-buffer-size"="8" "target-cpu"="x86-64" "target-features"="+cmov,+cx8,+fxsr,+mmx,+sse,+sse2,+x87" "tune-cpu"="generic" }
attributes #1 = { mustprogress nofree norecurse nosync nounwind willreturn memory(none) uwtable "min-legal-vector-width"="0" "no-trapping-math"="true" "stack-protector-buffer-size"="8" "target-cpu"="x86-64" "target-features"="+cmov,+cx8,+fxsr,+mmx,+sse,+sse2,+x87" "tune-cpu"="generic" }

!llvm.module.flags = !{!0, !1, !2, !3}
!llvm.ident = !{!4}
!llvm.errno.tbaa = !{!5}

!0 = !{i32 1, !"wchar_size", i32 4}
!1 = !{i32 8, !"PIC Level", i32 2}
!2 = !{i32 7, !"PIE Level", i32 2}
!3 = !{i32 7, !"uwtable", i32 2}
!4 = !{!"Debian clang version 22.1.8 (1~deb12u1)"}
!5 = !{!6, !6, i64 0}
!6 = !{!"int", !7, i64 0}
!7 = !{!"omnipotent char", !8, i64 0}
!8 = !{!"Simple C/C++ TBAA"}
!9 = !{!10, !10, i64 0}
!10 = !{!"long", !7, i64 0}
!11 = !{!12, !13, i64 0}
!12 = !{!"S", !13, i64 0, !10, i64 8}
!13 = !{!"double", !7, i64 0}
!14 = !{!13, !13, i64 0}

; CHECK-LABEL: function @get_n:
; CHECK-NEXT: %s: {[-1]:Pointer, [-1,0]:Float@double
; CHECK-NEXT: %0: {[-1]:Pointer, [-1,0]:Float@double
; CHECK-NEXT: %add: {[-1]:Pointer, [-1,0]:Integer}
; CHECK-NEXT: %1: {[-1]:Pointer, [-1,0]:Integer}
; CHECK-NEXT: %2: {[-1]:Integer}
; CHECK-NEXT: %3: {[-1]:Float@double}
; CHECK: return: {[-1]:Integer}
; CHECK-NOT: conflict
; CHECK-LABEL: function @align_down:
; CHECK: %and: {[-1]:Pointer
; CHECK-NEXT: %1: {[-1]:Pointer
; CHECK-NEXT: return: {[-1]:Pointer
; CHECK-LABEL: function @sum_aligned:
; CHECK: %and.i: {[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Float@double}
; CHECK-NEXT: %1: {[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Float@double}
; CHECK-LABEL: function @dist:
; CHECK: %0: {[-1]:Pointer}
; CHECK-NEXT: %1: {[-1]:Pointer}
; CHECK-NEXT: %sub: {[-1]:Integer}
; CHECK-NEXT: return: {[-1]:Integer}
; CHECK-NOT: conflict
