; clang-22 -O2 of memcpy of a struct of ints:
;   struct I { int a; int b; long c; };
;   long copy_ints(struct I *dst, const struct I *src) {
;     memcpy(dst, src, sizeof *src); return dst->a + dst->b + dst->c; }
; The 16-byte memcpy gives src the integers read from dst (src is never
; read directly): Integer at 0, 4 and 8 on both sides, nothing Float.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-types;all>' -disable-output %s 2>&1 | FileCheck-22 %s
; ModuleID = 'memcpy_ints_o2.c'
source_filename = "memcpy_ints_o2.c"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

; Function Attrs: mustprogress nofree norecurse nosync nounwind willreturn memory(argmem: readwrite) uwtable
define dso_local i64 @copy_ints(ptr noundef captures(none) initializes((0, 16)) %dst, ptr noundef readonly captures(none) %src) local_unnamed_addr #0 {
entry:
  tail call void @llvm.memcpy.p0.p0.i64(ptr noundef nonnull align 8 dereferenceable(16) %dst, ptr noundef nonnull align 8 dereferenceable(16) %src, i64 16, i1 false)
  %0 = load i32, ptr %dst, align 8, !tbaa !9
  %b = getelementptr inbounds nuw i8, ptr %dst, i64 4
  %1 = load i32, ptr %b, align 4, !tbaa !12
  %add = add nsw i32 %1, %0
  %conv = sext i32 %add to i64
  %c = getelementptr inbounds nuw i8, ptr %dst, i64 8
  %2 = load i64, ptr %c, align 8, !tbaa !13
  %add1 = add nsw i64 %2, %conv
  ret i64 %add1
}

; Function Attrs: mustprogress nocallback nofree nounwind willreturn memory(argmem: readwrite)
declare void @llvm.memcpy.p0.p0.i64(ptr noalias writeonly captures(none), ptr noalias readonly captures(none), i64, i1 immarg) #1

attributes #0 = { mustprogress nofree norecurse nosync nounwind willreturn memory(argmem: readwrite) uwtable "min-legal-vector-width"="0" "no-trapping-math"="true" "stack-protector-buffer-size"="8" "target-cpu"="x86-64" "target-features"="+cmov,+cx8,+fxsr,+mmx,+sse,+sse2,+x87" "tune-cpu"="generic" }
attributes #1 = { mustprogress nocallback nofree nounwind willreturn memory(argmem: readwrite) }

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
!9 = !{!10, !6, i64 0}
!10 = !{!"I", !6, i64 0, !6, i64 4, !11, i64 8}
!11 = !{!"long", !7, i64 0}
!12 = !{!10, !6, i64 4}
!13 = !{!10, !11, i64 8}

; CHECK-LABEL: function @copy_ints:
; CHECK-NEXT: %dst: {[-1]:Pointer, [-1,0]:Integer, [-1,4]:Integer, [-1,8]:Integer}
; CHECK-NEXT: %src: {[-1]:Pointer, [-1,0]:Integer, [-1,4]:Integer, [-1,8]:Integer}
; CHECK-NEXT: %0: {[-1]:Integer}
; CHECK-NEXT: %b: {[-1]:Pointer, [-1,0]:Integer, [-1,4]:Integer}
; CHECK-NEXT: %1: {[-1]:Integer}
; CHECK: %c: {[-1]:Pointer, [-1,0]:Integer}
; CHECK-NEXT: %2: {[-1]:Integer}
; CHECK: return: {[-1]:Integer}
; CHECK-NOT: Float
; CHECK-NOT: conflict
