; clang-22 -O0 of a union punning double and long:
;   union U { double d; long i; };
;   long bits(double x) { union U u; u.d = x; return u.i; }
;   double unbits(long i) { union U u; u.i = i; return u.d; }
;   double pun(double x) { union U u; u.d = x; long k = u.i * 3; return u.d + (double)k; }
; The union's memory is written as one type and read as the other. Reading
; the bits back only moves them (bits, unbits): the i64 holds a double's
; bits, so it is Float@double both ways and no conflict. Doing integer
; arithmetic on the double's bits (pun: u.i * 3) is a real clash: it is
; reported as a conflict on the loaded i64, naming the mul.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-types;all>' -disable-output %s 2>&1 | FileCheck-22 %s
; ModuleID = 'union_o0.c'
source_filename = "union_o0.c"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

%union.U = type { double }

; Function Attrs: noinline nounwind optnone uwtable
define dso_local i64 @bits(double noundef %x) #0 {
entry:
  %x.addr = alloca double, align 8
  %u = alloca %union.U, align 8
  store double %x, ptr %x.addr, align 8
  %0 = load double, ptr %x.addr, align 8
  store double %0, ptr %u, align 8
  %1 = load i64, ptr %u, align 8
  ret i64 %1
}

; Function Attrs: noinline nounwind optnone uwtable
define dso_local double @unbits(i64 noundef %i) #0 {
entry:
  %i.addr = alloca i64, align 8
  %u = alloca %union.U, align 8
  store i64 %i, ptr %i.addr, align 8
  %0 = load i64, ptr %i.addr, align 8
  store i64 %0, ptr %u, align 8
  %1 = load double, ptr %u, align 8
  ret double %1
}

; Function Attrs: noinline nounwind optnone uwtable
define dso_local double @pun(double noundef %x) #0 {
entry:
  %x.addr = alloca double, align 8
  %u = alloca %union.U, align 8
  %k = alloca i64, align 8
  store double %x, ptr %x.addr, align 8
  %0 = load double, ptr %x.addr, align 8
  store double %0, ptr %u, align 8
  %1 = load i64, ptr %u, align 8
  %mul = mul nsw i64 %1, 3
  store i64 %mul, ptr %k, align 8
  %2 = load double, ptr %u, align 8
  %3 = load i64, ptr %k, align 8
  %conv = sitofp i64 %3 to double
  %add = fadd double %2, %conv
  ret double %add
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

; CHECK-LABEL: function @bits:
; CHECK-NEXT: %x: {[-1]:Float@double}
; CHECK-NEXT: %x.addr: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NEXT: %u: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NEXT: %0: {[-1]:Float@double}
; CHECK-NEXT: %1: {[-1]:Float@double}
; CHECK-NEXT: return: {[-1]:Float@double}
; CHECK-NOT: conflict
; CHECK-LABEL: function @unbits:
; CHECK-NEXT: %i: {[-1]:Float@double}
; CHECK-NEXT: %i.addr: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NEXT: %u: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK: %1: {[-1]:Float@double}
; CHECK-NEXT: return: {[-1]:Float@double}
; CHECK-NOT: conflict
; CHECK-LABEL: function @pun:
; CHECK: %u: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NEXT: %k: {[-1]:Pointer, [-1,0]:Integer}
; CHECK: %mul: {[-1]:Integer}
; CHECK: %2: {[-1]:Float@double}
; CHECK-NEXT: %3: {[-1]:Integer}
; CHECK: return: {[-1]:Float@double}
; CHECK-NEXT: conflict: type conflict for %1 at [-1]: Float@double vs Integer (from `%mul = mul nsw i64 %1, 3`)
