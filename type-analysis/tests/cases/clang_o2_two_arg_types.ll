; clang-22 -O2 of one callee used with two different argument types:
;   static __attribute__((noinline)) void copy_bytes(void *dst, const void *src, unsigned long n) { memcpy(dst, src, n); }
;   double use_d(double *dst, const double *src) { copy_bytes(dst, src, 2 * sizeof(double)); return dst[0] + dst[1]; }
;   int use_i(int *dst, const int *src) { copy_bytes(dst, src, 2 * sizeof(int)); return dst[0] * dst[1]; }
; The analysis is context-insensitive: copy_bytes has one tree per
; parameter, so double (from use_d) and int (from use_i) meet at offset 0.
; What it does: the clash is reported as a conflict in the callee and in
; use_i (whose own loads disagree with the merged tree; the first type seen,
; Float@double, is kept). Each caller's own loads keep their types. Not
; checked, because they are artifacts of the merge: use_d's pointers also
; show the callee's [-1,4]:Integer and use_i's src shows Float@double at 0
; and 8, without a conflict reported in use_d.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-types;all>' -disable-output %s 2>&1 | FileCheck-22 %s
; ModuleID = 'twoargs_o2.c'
source_filename = "twoargs_o2.c"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

; Function Attrs: mustprogress nofree norecurse nosync nounwind willreturn memory(argmem: readwrite) uwtable
define dso_local double @use_d(ptr noundef captures(none) %dst, ptr noundef readonly captures(none) %src) local_unnamed_addr #0 {
entry:
  tail call fastcc void @copy_bytes(ptr noundef %dst, ptr noundef %src, i64 noundef 16)
  %0 = load double, ptr %dst, align 8, !tbaa !9
  %arrayidx1 = getelementptr inbounds nuw i8, ptr %dst, i64 8
  %1 = load double, ptr %arrayidx1, align 8, !tbaa !9
  %add = fadd double %0, %1
  ret double %add
}

; Function Attrs: mustprogress nofree noinline norecurse nosync nounwind willreturn memory(argmem: readwrite) uwtable
define internal fastcc void @copy_bytes(ptr noundef writeonly captures(none) %dst, ptr noundef readonly captures(none) %src, i64 noundef range(i64 8, 17) %n) unnamed_addr #1 {
entry:
  tail call void @llvm.memcpy.p0.p0.i64(ptr noundef nonnull align 1 dereferenceable(1) %dst, ptr noundef nonnull align 1 dereferenceable(1) %src, i64 %n, i1 false)
  ret void
}

; Function Attrs: mustprogress nofree norecurse nosync nounwind willreturn memory(argmem: readwrite) uwtable
define dso_local i32 @use_i(ptr noundef captures(none) %dst, ptr noundef readonly captures(none) %src) local_unnamed_addr #0 {
entry:
  tail call fastcc void @copy_bytes(ptr noundef %dst, ptr noundef %src, i64 noundef 8)
  %0 = load i32, ptr %dst, align 4, !tbaa !5
  %arrayidx1 = getelementptr inbounds nuw i8, ptr %dst, i64 4
  %1 = load i32, ptr %arrayidx1, align 4, !tbaa !5
  %mul = mul nsw i32 %1, %0
  ret i32 %mul
}

; Function Attrs: mustprogress nocallback nofree nounwind willreturn memory(argmem: readwrite)
declare void @llvm.memcpy.p0.p0.i64(ptr noalias writeonly captures(none), ptr noalias readonly captures(none), i64, i1 immarg) #2

attributes #0 = { mustprogress nofree norecurse nosync nounwind willreturn memory(argmem: readwrite) uwtable "min-legal-vector-width"="0" "no-trapping-math"="true" "stack-protector-buffer-size"="8" "target-cpu"="x86-64" "target-features"="+cmov,+cx8,+fxsr,+mmx,+sse,+sse2,+x87" "tune-cpu"="generic" }
attributes #1 = { mustprogress nofree noinline norecurse nosync nounwind willreturn memory(argmem: readwrite) uwtable "min-legal-vector-width"="0" "no-trapping-math"="true" "stack-protector-buffer-size"="8" "target-cpu"="x86-64" "target-features"="+cmov,+cx8,+fxsr,+mmx,+sse,+sse2,+x87" "tune-cpu"="generic" }
attributes #2 = { mustprogress nocallback nofree nounwind willreturn memory(argmem: readwrite) }

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
!10 = !{!"double", !7, i64 0}

; CHECK-LABEL: function @use_d:
; CHECK-NEXT: %dst: {[-1]:Pointer, [-1,0]:Float@double
; CHECK: %0: {[-1]:Float@double}
; CHECK: %1: {[-1]:Float@double}
; CHECK: return: {[-1]:Float@double}
; CHECK-LABEL: function @copy_bytes:
; CHECK-NEXT: %dst: {[-1]:Pointer, [-1,0]:Float@double, [-1,4]:Integer
; CHECK-NEXT: %src: {[-1]:Pointer, [-1,0]:Float@double, [-1,4]:Integer
; CHECK-NEXT: %n: {[-1]:Integer}
; CHECK-NEXT: conflict: type conflict for %dst at [-1,0]: Float@double vs Integer
; CHECK-LABEL: function @use_i:
; CHECK-NEXT: %dst: {[-1]:Pointer, [-1,0]:Integer, [-1,4]:Integer
; CHECK: %0: {[-1]:Integer}
; CHECK: %1: {[-1]:Integer}
; CHECK-NEXT: %mul: {[-1]:Integer}
; CHECK-NEXT: return: {[-1]:Integer}
; CHECK-NEXT: conflict: type conflict for %dst at [-1,0]: Integer vs Float@double
