; clang-22 -O0 of memcpy of a struct of doubles:
;   struct D { double x, y, z; };
;   double copy_doubles(struct D *dst, const struct D *src) {
;     memcpy(dst, src, sizeof *src); return dst->x + dst->y + dst->z; }
; The fields read through dst's slot reach src through the 24-byte memcpy
; and both argument slots: Float@double at 0, 8 and 16, no Integer.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-types;all>' -disable-output %s 2>&1 | FileCheck-22 %s
; ModuleID = 'memcpy_doubles_o0.c'
source_filename = "memcpy_doubles_o0.c"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

%struct.D = type { double, double, double }

; Function Attrs: noinline nounwind optnone uwtable
define dso_local double @copy_doubles(ptr noundef %dst, ptr noundef %src) #0 {
entry:
  %dst.addr = alloca ptr, align 8
  %src.addr = alloca ptr, align 8
  store ptr %dst, ptr %dst.addr, align 8
  store ptr %src, ptr %src.addr, align 8
  %0 = load ptr, ptr %dst.addr, align 8
  %1 = load ptr, ptr %src.addr, align 8
  call void @llvm.memcpy.p0.p0.i64(ptr align 8 %0, ptr align 8 %1, i64 24, i1 false)
  %2 = load ptr, ptr %dst.addr, align 8
  %x = getelementptr inbounds nuw %struct.D, ptr %2, i32 0, i32 0
  %3 = load double, ptr %x, align 8
  %4 = load ptr, ptr %dst.addr, align 8
  %y = getelementptr inbounds nuw %struct.D, ptr %4, i32 0, i32 1
  %5 = load double, ptr %y, align 8
  %add = fadd double %3, %5
  %6 = load ptr, ptr %dst.addr, align 8
  %z = getelementptr inbounds nuw %struct.D, ptr %6, i32 0, i32 2
  %7 = load double, ptr %z, align 8
  %add1 = fadd double %add, %7
  ret double %add1
}

; Function Attrs: nocallback nofree nounwind willreturn memory(argmem: readwrite)
declare void @llvm.memcpy.p0.p0.i64(ptr noalias writeonly captures(none), ptr noalias readonly captures(none), i64, i1 immarg) #1

attributes #0 = { noinline nounwind optnone uwtable "frame-pointer"="all" "min-legal-vector-width"="0" "no-trapping-math"="true" "stack-protector-buffer-size"="8" "target-cpu"="x86-64" "target-features"="+cmov,+cx8,+fxsr,+mmx,+sse,+sse2,+x87" "tune-cpu"="generic" }
attributes #1 = { nocallback nofree nounwind willreturn memory(argmem: readwrite) }

!llvm.module.flags = !{!0, !1, !2, !3, !4}
!llvm.ident = !{!5}

!0 = !{i32 1, !"wchar_size", i32 4}
!1 = !{i32 8, !"PIC Level", i32 2}
!2 = !{i32 7, !"PIE Level", i32 2}
!3 = !{i32 7, !"uwtable", i32 2}
!4 = !{i32 7, !"frame-pointer", i32 2}
!5 = !{!"Debian clang version 22.1.8 (1~deb12u1)"}

; CHECK-LABEL: function @copy_doubles:
; CHECK-NEXT: %dst: {[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Float@double, [-1,16]:Float@double}
; CHECK-NEXT: %src: {[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Float@double, [-1,16]:Float@double}
; CHECK-NEXT: %dst.addr: {[-1]:Pointer, [-1,0]:Pointer, [-1,0,0]:Float@double, [-1,0,8]:Float@double, [-1,0,16]:Float@double}
; CHECK-NEXT: %src.addr: {[-1]:Pointer, [-1,0]:Pointer, [-1,0,0]:Float@double, [-1,0,8]:Float@double, [-1,0,16]:Float@double}
; CHECK-NEXT: %0: {[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Float@double, [-1,16]:Float@double}
; CHECK-NEXT: %1: {[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Float@double, [-1,16]:Float@double}
; CHECK-NOT: Integer
; CHECK: %y: {[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Float@double}
; CHECK-NOT: Integer
; CHECK: %z: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NOT: Integer
; CHECK: return: {[-1]:Float@double}
; CHECK-NOT: Integer
; CHECK-NOT: conflict
