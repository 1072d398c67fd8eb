; clang-22 -O0 of: struct S { double x; long n; double *p; };
;   double f(struct S *s) { double t = s->x * s->n; for (long i = 0; i < s->n; i++) t += s->p[i]; return t; }
; Unnamed values print as their slots; allocas learn what they hold.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-types;all>' -disable-output %s 2>&1 | FileCheck-22 %s
; ModuleID = 'o0.c'
source_filename = "o0.c"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

%struct.S = type { double, i64, ptr }

; Function Attrs: noinline nounwind optnone uwtable
define dso_local double @f(ptr noundef %0) #0 {
  %2 = alloca ptr, align 8
  %3 = alloca double, align 8
  %4 = alloca i64, align 8
  store ptr %0, ptr %2, align 8
  %5 = load ptr, ptr %2, align 8
  %6 = getelementptr inbounds nuw %struct.S, ptr %5, i32 0, i32 0
  %7 = load double, ptr %6, align 8
  %8 = load ptr, ptr %2, align 8
  %9 = getelementptr inbounds nuw %struct.S, ptr %8, i32 0, i32 1
  %10 = load i64, ptr %9, align 8
  %11 = sitofp i64 %10 to double
  %12 = fmul double %7, %11
  store double %12, ptr %3, align 8
  store i64 0, ptr %4, align 8
  br label %13

13:                                               ; preds = %28, %1
  %14 = load i64, ptr %4, align 8
  %15 = load ptr, ptr %2, align 8
  %16 = getelementptr inbounds nuw %struct.S, ptr %15, i32 0, i32 1
  %17 = load i64, ptr %16, align 8
  %18 = icmp slt i64 %14, %17
  br i1 %18, label %19, label %31

19:                                               ; preds = %13
  %20 = load ptr, ptr %2, align 8
  %21 = getelementptr inbounds nuw %struct.S, ptr %20, i32 0, i32 2
  %22 = load ptr, ptr %21, align 8
  %23 = load i64, ptr %4, align 8
  %24 = getelementptr inbounds double, ptr %22, i64 %23
  %25 = load double, ptr %24, align 8
  %26 = load double, ptr %3, align 8
  %27 = fadd double %26, %25
  store double %27, ptr %3, align 8
  br label %28

28:                                               ; preds = %19
  %29 = load i64, ptr %4, align 8
  %30 = add nsw i64 %29, 1
  store i64 %30, ptr %4, align 8
  br label %13, !llvm.loop !6

31:                                               ; preds = %13
  %32 = load double, ptr %3, align 8
  ret double %32
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

; CHECK-LABEL: function @f:
; CHECK-NEXT: %0: {[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Integer, [-1,16]:Pointer, [-1,16,0]:Float@double}
; CHECK-NEXT: %2: {[-1]:Pointer, [-1,0]:Pointer, [-1,0,0]:Float@double, [-1,0,8]:Integer, [-1,0,16]:Pointer, [-1,0,16,0]:Float@double}
; CHECK-NEXT: %3: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NEXT: %4: {[-1]:Pointer, [-1,0]:Integer}
; CHECK: %9: {[-1]:Pointer, [-1,0]:Integer, [-1,8]:Pointer, [-1,8,0]:Float@double}
; CHECK-NEXT: %10: {[-1]:Integer}
; CHECK: %14: {[-1]:Integer}
; CHECK: %21: {[-1]:Pointer, [-1,0]:Pointer, [-1,0,0]:Float@double}
; CHECK-NEXT: %22: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NEXT: %23: {[-1]:Integer}
; CHECK-NEXT: %24: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK: return: {[-1]:Float@double}
; CHECK-NOT: conflict
