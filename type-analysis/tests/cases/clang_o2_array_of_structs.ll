; clang-22 -O2 (loop unrolled by 2, with a remainder iteration) of:
;   struct P { double x; int id; double *w; };
;   double total(struct P *ps, long n) {
;     double s = 0; for (long i = 0; i < n; i++) s += ps[i].x * ps[i].w[ps[i].id]; return s; }
; Elements i and i+1 are read: ps holds x (double), id (int) and w (double*)
; at 0, 8, 16 and again at 24, 32, 40; the struct-typed variable GEP keeps
; element 0's layout; byte GEPs to a field shift the tree; the loaded id is
; an integer index and w[id] a double.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-types;all>' -disable-output %s 2>&1 | FileCheck-22 %s
; ModuleID = 'aos_o2.c'
source_filename = "aos_o2.c"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

%struct.P = type { double, i32, ptr }

; Function Attrs: nofree norecurse nosync nounwind memory(read, inaccessiblemem: none, target_mem0: none, target_mem1: none) uwtable
define dso_local double @total(ptr noundef readonly captures(none) %ps, i64 noundef %n) local_unnamed_addr #0 {
entry:
  %cmp11 = icmp sgt i64 %n, 0
  br i1 %cmp11, label %for.body.preheader, label %for.cond.cleanup

for.body.preheader:                               ; preds = %entry
  %xtraiter = and i64 %n, 1
  %0 = icmp eq i64 %n, 1
  br i1 %0, label %for.body.epil.preheader, label %for.body.preheader.new

for.body.preheader.new:                           ; preds = %for.body.preheader
  %unroll_iter = and i64 %n, 9223372036854775806
  br label %for.body

for.cond.cleanup.loopexit.unr-lcssa:              ; preds = %for.body
  %lcmp.mod.not = icmp eq i64 %xtraiter, 0
  br i1 %lcmp.mod.not, label %for.cond.cleanup, label %for.body.epil.preheader

for.body.epil.preheader:                          ; preds = %for.cond.cleanup.loopexit.unr-lcssa, %for.body.preheader
  %i.013.epil.init = phi i64 [ 0, %for.body.preheader ], [ %inc.1, %for.cond.cleanup.loopexit.unr-lcssa ]
  %s.012.epil.init = phi double [ 0.000000e+00, %for.body.preheader ], [ %16, %for.cond.cleanup.loopexit.unr-lcssa ]
  %lcmp.mod15 = icmp ne i64 %xtraiter, 0
  tail call void @llvm.assume(i1 %lcmp.mod15)
  %arrayidx.epil = getelementptr inbounds nuw %struct.P, ptr %ps, i64 %i.013.epil.init
  %1 = load double, ptr %arrayidx.epil, align 8, !tbaa !9
  %w.epil = getelementptr inbounds nuw i8, ptr %arrayidx.epil, i64 16
  %2 = load ptr, ptr %w.epil, align 8, !tbaa !14
  %id.epil = getelementptr inbounds nuw i8, ptr %arrayidx.epil, i64 8
  %3 = load i32, ptr %id.epil, align 8, !tbaa !15
  %idxprom.epil = sext i32 %3 to i64
  %arrayidx3.epil = getelementptr inbounds double, ptr %2, i64 %idxprom.epil
  %4 = load double, ptr %arrayidx3.epil, align 8, !tbaa !16
  %5 = tail call double @llvm.fmuladd.f64(double %1, double %4, double %s.012.epil.init)
  br label %for.cond.cleanup

for.cond.cleanup:                                 ; preds = %for.body.epil.preheader, %for.cond.cleanup.loopexit.unr-lcssa, %entry
  %s.0.lcssa = phi double [ 0.000000e+00, %entry ], [ %16, %for.cond.cleanup.loopexit.unr-lcssa ], [ %5, %for.body.epil.preheader ]
  ret double %s.0.lcssa

for.body:                                         ; preds = %for.body, %for.body.preheader.new
  %i.013 = phi i64 [ 0, %for.body.preheader.new ], [ %inc.1, %for.body ]
  %s.012 = phi double [ 0.000000e+00, %for.body.preheader.new ], [ %16, %for.body ]
  %niter = phi i64 [ 0, %for.body.preheader.new ], [ %niter.next.1, %for.body ]
  %arrayidx = getelementptr inbounds nuw %struct.P, ptr %ps, i64 %i.013
  %6 = load double, ptr %arrayidx, align 8, !tbaa !9
  %w = getelementptr inbounds nuw i8, ptr %arrayidx, i64 16
  %7 = load ptr, ptr %w, align 8, !tbaa !14
  %id = getelementptr inbounds nuw i8, ptr %arrayidx, i64 8
  %8 = load i32, ptr %id, align 8, !tbaa !15
  %idxprom = sext i32 %8 to i64
  %arrayidx3 = getelementptr inbounds double, ptr %7, i64 %idxprom
  %9 = load double, ptr %arrayidx3, align 8, !tbaa !16
  %10 = tail call double @llvm.fmuladd.f64(double %6, double %9, double %s.012)
  %11 = getelementptr inbounds nuw %struct.P, ptr %ps, i64 %i.013
  %arrayidx.1 = getelementptr inbounds nuw i8, ptr %11, i64 24
  %12 = load double, ptr %arrayidx.1, align 8, !tbaa !9
  %w.1 = getelementptr inbounds nuw i8, ptr %11, i64 40
  %13 = load ptr, ptr %w.1, align 8, !tbaa !14
  %id.1 = getelementptr inbounds nuw i8, ptr %11, i64 32
  %14 = load i32, ptr %id.1, align 8, !tbaa !15
  %idxprom.1 = sext i32 %14 to i64
  %arrayidx3.1 = getelementptr inbounds double, ptr %13, i64 %idxprom.1
  %15 = load double, ptr %arrayidx3.1, align 8, !tbaa !16
  %16 = tail call double @llvm.fmuladd.f64(double %12, double %15, double %10)
  %inc.1 = add nuw nsw i64 %i.013, 2
  %niter.next.1 = add i64 %niter, 2
  %niter.ncmp.1 = icmp eq i64 %niter.next.1, %unroll_iter
  br i1 %niter.ncmp.1, label %for.cond.cleanup.loopexit.unr-lcssa, label %for.body, !llvm.loop !17
}

; Function Attrs: mustprogress nocallback nocreateundeforpoison nofree nosync nounwind speculatable willreturn memory(none)
declare double @llvm.fmuladd.f64(double, double, double) #1

; Function Attrs: nocallback nofree nosync nounwind willreturn memory(inaccessiblemem: write)
declare void @llvm.assume(i1 noundef) #2

attributes #0 = { nofree norecurse nosync nounwind memory(read, inaccessiblemem: none, target_mem0: none, target_mem1: none) uwtable "min-legal-vector-width"="0" "no-trapping-math"="true" "stack-protector-buffer-size"="8" "target-cpu"="x86-64" "target-features"="+cmov,+cx8,+fxsr,+mmx,+sse,+sse2,+x87" "tune-cpu"="generic" }
attributes #1 = { mustprogress nocallback nocreateundeforpoison nofree nosync nounwind speculatable willreturn memory(none) }
attributes #2 = { nocallback nofree nosync nounwind willreturn memory(inaccessiblemem: write) }

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
!9 = !{!10, !11, i64 0}
!10 = !{!"P", !11, i64 0, !6, i64 8, !12, i64 16}
!11 = !{!"double", !7, i64 0}
!12 = !{!"p1 double", !13, i64 0}
!13 = !{!"any pointer", !7, i64 0}
!14 = !{!10, !12, i64 16}
!15 = !{!10, !6, i64 8}
!16 = !{!11, !11, i64 0}
!17 = distinct !{!17, !18}
!18 = !{!"llvm.loop.mustprogress"}

; CHECK-LABEL: function @total:
; CHECK-NEXT: %ps: {[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Integer, [-1,16]:Pointer, [-1,16,0]:Float@double, [-1,24]:Float@double, [-1,32]:Integer, [-1,40]:Pointer, [-1,40,0]:Float@double}
; CHECK: %arrayidx.epil: {[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Integer, [-1,16]:Pointer, [-1,16,0]:Float@double,
; CHECK-NEXT: %1: {[-1]:Float@double}
; CHECK-NEXT: %w.epil: {[-1]:Pointer, [-1,0]:Pointer, [-1,0,0]:Float@double, [-1,8]:Float@double, [-1,16]:Integer,
; CHECK-NEXT: %2: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NEXT: %id.epil: {[-1]:Pointer, [-1,0]:Integer, [-1,8]:Pointer, [-1,8,0]:Float@double, [-1,16]:Float@double,
; CHECK-NEXT: %3: {[-1]:Integer}
; CHECK-NEXT: %idxprom.epil: {[-1]:Integer}
; CHECK-NEXT: %arrayidx3.epil: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NEXT: %4: {[-1]:Float@double}
; CHECK: %i.013: {[-1]:Integer}
; CHECK: %arrayidx: {[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Integer, [-1,16]:Pointer, [-1,16,0]:Float@double,
; CHECK: %arrayidx.1: {[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Integer, [-1,16]:Pointer, [-1,16,0]:Float@double}
; CHECK-NEXT: %12: {[-1]:Float@double}
; CHECK-NEXT: %w.1: {[-1]:Pointer, [-1,0]:Pointer, [-1,0,0]:Float@double}
; CHECK-NEXT: %13: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NEXT: %id.1: {[-1]:Pointer, [-1,0]:Integer, [-1,8]:Pointer, [-1,8,0]:Float@double}
; CHECK-NEXT: %14: {[-1]:Integer}
; CHECK: %15: {[-1]:Float@double}
; CHECK: return: {[-1]:Float@double}
; CHECK-NOT: conflict
