; clang-22 -O2 -fno-strict-aliasing -fno-unroll-loops -fno-vectorize of:
;   double mix(const float *f, const double *d, long n) {
;     double s = 0; for (long i = 0; i < n; i++) s += f[i] * d[i]; return s; }
;   float narrow(double x, float *out) { *out = (float)x; return *out * 2.0f; }
;   double relay(double **slot, double *x, int *flag) { *slot = x; *flag = 0; return **slot; }
; float and double stay apart (fpext/fptrunc relate them). In relay (no TBAA:
; -fno-strict-aliasing keeps the reload of *slot after the store to *flag) a
; pointer is stored to memory and loaded back: the double read through the
; loaded pointer reaches x through the slot.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-types;all>' -disable-output %s 2>&1 | FileCheck-22 %s
; ModuleID = 'fd_o2.c'
source_filename = "fd_o2.c"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

; Function Attrs: nofree norecurse nosync nounwind memory(argmem: read) uwtable
define dso_local double @mix(ptr noundef readonly captures(none) %f, ptr noundef readonly captures(none) %d, i64 noundef %n) local_unnamed_addr #0 {
entry:
  %cmp6 = icmp sgt i64 %n, 0
  br i1 %cmp6, label %for.body, label %for.cond.cleanup

for.cond.cleanup:                                 ; preds = %for.body, %entry
  %s.0.lcssa = phi double [ 0.000000e+00, %entry ], [ %2, %for.body ]
  ret double %s.0.lcssa

for.body:                                         ; preds = %entry, %for.body
  %i.08 = phi i64 [ %inc, %for.body ], [ 0, %entry ]
  %s.07 = phi double [ %2, %for.body ], [ 0.000000e+00, %entry ]
  %arrayidx = getelementptr inbounds nuw float, ptr %f, i64 %i.08
  %0 = load float, ptr %arrayidx, align 4
  %conv = fpext float %0 to double
  %arrayidx1 = getelementptr inbounds nuw double, ptr %d, i64 %i.08
  %1 = load double, ptr %arrayidx1, align 8
  %2 = tail call double @llvm.fmuladd.f64(double %conv, double %1, double %s.07)
  %inc = add nuw nsw i64 %i.08, 1
  %exitcond.not = icmp eq i64 %inc, %n
  br i1 %exitcond.not, label %for.cond.cleanup, label %for.body, !llvm.loop !5
}

; Function Attrs: mustprogress nocallback nocreateundeforpoison nofree nosync nounwind speculatable willreturn memory(none)
declare double @llvm.fmuladd.f64(double, double, double) #1

; Function Attrs: mustprogress nofree norecurse nosync nounwind willreturn memory(argmem: write) uwtable
define dso_local noundef float @narrow(double noundef %x, ptr noundef writeonly captures(none) initializes((0, 4)) %out) local_unnamed_addr #2 {
entry:
  %conv = fptrunc double %x to float
  store float %conv, ptr %out, align 4
  %mul = fmul float %conv, 2.000000e+00
  ret float %mul
}

; Function Attrs: mustprogress nofree norecurse nosync nounwind willreturn memory(read, argmem: readwrite, inaccessiblemem: none, target_mem0: none, target_mem1: none) uwtable
define dso_local double @relay(ptr noundef captures(none) initializes((0, 8)) %slot, ptr noundef %x, ptr noundef writeonly captures(none) initializes((0, 4)) %flag) local_unnamed_addr #3 {
entry:
  store ptr %x, ptr %slot, align 8
  store i32 0, ptr %flag, align 4
  %0 = load ptr, ptr %slot, align 8
  %1 = load double, ptr %0, align 8
  ret double %1
}

attributes #0 = { nofree norecurse nosync nounwind memory(argmem: read) uwtable "min-legal-vector-width"="0" "no-trapping-math"="true" "stack-protector-buffer-size"="8" "target-cpu"="x86-64" "target-features"="+cmov,+cx8,+fxsr,+mmx,+sse,+sse2,+x87" "tune-cpu"="generic" }
attributes #1 = { mustprogress nocallback nocreateundeforpoison nofree nosync nounwind speculatable willreturn memory(none) }
attributes #2 = { mustprogress nofree norecurse nosync nounwind willreturn memory(argmem: write) uwtable "min-legal-vector-width"="0" "no-trapping-math"="true" "stack-protector-buffer-size"="8" "target-cpu"="x86-64" "target-features"="+cmov,+cx8,+fxsr,+mmx,+sse,+sse2,+x87" "tune-cpu"="generic" }
attributes #3 = { mustprogress nofree norecurse nosync nounwind willreturn memory(read, argmem: readwrite, inaccessiblemem: none, target_mem0: none, target_mem1: none) uwtable "min-legal-vector-width"="0" "no-trapping-math"="true" "stack-protector-buffer-size"="8" "target-cpu"="x86-64" "target-features"="+cmov,+cx8,+fxsr,+mmx,+sse,+sse2,+x87" "tune-cpu"="generic" }

!llvm.module.flags = !{!0, !1, !2, !3}
!llvm.ident = !{!4}

!0 = !{i32 1, !"wchar_size", i32 4}
!1 = !{i32 8, !"PIC Level", i32 2}
!2 = !{i32 7, !"PIE Level", i32 2}
!3 = !{i32 7, !"uwtable", i32 2}
!4 = !{!"Debian clang version 22.1.8 (1~deb12u1)"}
!5 = distinct !{!5, !6, !7}
!6 = !{!"llvm.loop.mustprogress"}
!7 = !{!"llvm.loop.unroll.disable"}

; CHECK-LABEL: function @mix:
; CHECK-NEXT: %f: {[-1]:Pointer, [-1,0]:Float@float}
; CHECK-NEXT: %d: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NEXT: %n: {[-1]:Integer}
; CHECK: %arrayidx: {[-1]:Pointer, [-1,0]:Float@float}
; CHECK-NEXT: %0: {[-1]:Float@float}
; CHECK-NEXT: %conv: {[-1]:Float@double}
; CHECK-NEXT: %arrayidx1: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NEXT: %1: {[-1]:Float@double}
; CHECK-NEXT: %2: {[-1]:Float@double}
; CHECK: return: {[-1]:Float@double}
; CHECK-LABEL: function @narrow:
; CHECK-NEXT: %x: {[-1]:Float@double}
; CHECK-NEXT: %out: {[-1]:Pointer, [-1,0]:Float@float}
; CHECK-NEXT: %conv: {[-1]:Float@float}
; CHECK-NEXT: %mul: {[-1]:Float@float}
; CHECK-NEXT: return: {[-1]:Float@float}
; CHECK-LABEL: function @relay:
; CHECK-NEXT: %slot: {[-1]:Pointer, [-1,0]:Pointer, [-1,0,0]:Float@double}
; CHECK-NEXT: %x: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK: %0: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NEXT: %1: {[-1]:Float@double}
; CHECK-NEXT: return: {[-1]:Float@double}
; CHECK-NOT: conflict
