; clang-22 -O0 of a pointer round trip through an integer variable:
;   double *launder(double *p) { uintptr_t a = (uintptr_t)p; return (double *)a; }
;   double use_launder(double *p) { p[1] = 2.0; double *q = launder(p); return q[0]; }
; ptrtoint, the i64 slot and inttoptr keep the whole pointee tree both
; ways: the double stored at p+8 comes out of launder's return, and the
; double read at q[0] goes back to p.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-types;all>' -disable-output %s 2>&1 | FileCheck-22 %s
; ModuleID = 'launder_o0.c'
source_filename = "launder_o0.c"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

; Function Attrs: noinline nounwind optnone uwtable
define dso_local ptr @launder(ptr noundef %p) #0 {
entry:
  %p.addr = alloca ptr, align 8
  %a = alloca i64, align 8
  store ptr %p, ptr %p.addr, align 8
  %0 = load ptr, ptr %p.addr, align 8
  %1 = ptrtoint ptr %0 to i64
  store i64 %1, ptr %a, align 8
  %2 = load i64, ptr %a, align 8
  %3 = inttoptr i64 %2 to ptr
  ret ptr %3
}

; Function Attrs: noinline nounwind optnone uwtable
define dso_local double @use_launder(ptr noundef %p) #0 {
entry:
  %p.addr = alloca ptr, align 8
  %q = alloca ptr, align 8
  store ptr %p, ptr %p.addr, align 8
  %0 = load ptr, ptr %p.addr, align 8
  %arrayidx = getelementptr inbounds double, ptr %0, i64 1
  store double 2.000000e+00, ptr %arrayidx, align 8
  %1 = load ptr, ptr %p.addr, align 8
  %call = call ptr @launder(ptr noundef %1)
  store ptr %call, ptr %q, align 8
  %2 = load ptr, ptr %q, align 8
  %arrayidx1 = getelementptr inbounds double, ptr %2, i64 0
  %3 = load double, ptr %arrayidx1, align 8
  ret double %3
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

; CHECK-LABEL: function @launder:
; CHECK-NEXT: %p: {[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Float@double}
; CHECK: %a: {[-1]:Pointer, [-1,0]:Pointer, [-1,0,0]:Float@double, [-1,0,8]:Float@double}
; CHECK-NEXT: %0: {[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Float@double}
; CHECK-NEXT: %1: {[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Float@double}
; CHECK-NEXT: %2: {[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Float@double}
; CHECK-NEXT: %3: {[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Float@double}
; CHECK-NEXT: return: {[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Float@double}
; CHECK-LABEL: function @use_launder:
; CHECK-NEXT: %p: {[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Float@double}
; CHECK: %arrayidx: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK: %call: {[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Float@double}
; CHECK: %3: {[-1]:Float@double}
; CHECK-NOT: conflict
