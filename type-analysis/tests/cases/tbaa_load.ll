; TBAA says what an integer-typed access really moves: an i64 load tagged
; "double" carries a double; a "p1 double" load is a double*; "int" an int;
; "omnipotent char" (any byte) says nothing.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-types;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define void @move(ptr %dst, ptr %src, ptr %pp, ptr %ip, ptr %cp) {
  %bits = load i64, ptr %src, align 8, !tbaa !5
  store i64 %bits, ptr %dst, align 8, !tbaa !5
  %p = load ptr, ptr %pp, align 8, !tbaa !8
  %i = load i32, ptr %ip, align 4, !tbaa !10
  %c = load i8, ptr %cp, align 1, !tbaa !12
  ret void
}

!1 = !{!"omnipotent char", !2, i64 0}
!2 = !{!"Simple C/C++ TBAA"}
!4 = !{!"double", !1, i64 0}
!5 = !{!4, !4, i64 0}
!7 = !{!"p1 double", !9, i64 0}
!8 = !{!7, !7, i64 0}
!9 = !{!"any pointer", !1, i64 0}
!11 = !{!"int", !1, i64 0}
!10 = !{!11, !11, i64 0}
!12 = !{!1, !1, i64 0}

; CHECK-LABEL: function @move:
; CHECK-NEXT: %dst: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NEXT: %src: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NEXT: %pp: {[-1]:Pointer, [-1,0]:Pointer, [-1,0,0]:Float@double}
; CHECK-NEXT: %ip: {[-1]:Pointer, [-1,0]:Integer}
; CHECK-NEXT: %cp: {[-1]:Pointer}
; CHECK-NEXT: %bits: {[-1]:Float@double}
; CHECK-NEXT: %p: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NEXT: %i: {[-1]:Integer}
; CHECK-NEXT: %c: {}
