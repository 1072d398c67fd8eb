; What clang -O0 emits for  double f(double x) { double y = x * x; return y; }
; arguments spilled to allocas, every use through memory: the spill slots
; receive active data and get shadows, the lifetime markers and the
; integer-free loads follow.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-activity;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

declare void @llvm.lifetime.start.p0(ptr)
declare void @llvm.lifetime.end.p0(ptr)

define double @f(double noundef %x) #0 {
entry:
  %x.addr = alloca double, align 8
  %y = alloca double, align 8
  store double %x, ptr %x.addr, align 8
  call void @llvm.lifetime.start.p0(ptr %y)
  %0 = load double, ptr %x.addr, align 8
  %1 = load double, ptr %x.addr, align 8
  %mul = fmul double %0, %1
  store double %mul, ptr %y, align 8
  %2 = load double, ptr %y, align 8
  call void @llvm.lifetime.end.p0(ptr %y)
  ret double %2
}

attributes #0 = { noinline nounwind optnone uwtable }

; CHECK-LABEL: function @f: default activities
; CHECK-NEXT: request: (%x: active) -> active
; CHECK-NEXT: canonical: (%x: active) -> activenoneed
; CHECK-NEXT: note: return: active -> activenoneed: the request does not return the primal value
; CHECK-NEXT: %x: active
; CHECK-NEXT: %x.addr: value=shadowed inst=const
; CHECK-NEXT: %y: value=shadowed inst=const
; CHECK-NEXT: store %x, %x.addr: inst=active
; CHECK-NEXT: call @llvm.lifetime.start.p0(%y): inst=const ; inactive function
; CHECK-NEXT: %0: value=active inst=active
; CHECK-NEXT: %1: value=active inst=active
; CHECK-NEXT: %mul: value=active inst=active
; CHECK-NEXT: store %mul, %y: inst=active
; CHECK-NEXT: %2: value=active inst=active
; CHECK-NEXT: call @llvm.lifetime.end.p0(%y): inst=const ; inactive function
; CHECK-NEXT: ret %2: inst=active
