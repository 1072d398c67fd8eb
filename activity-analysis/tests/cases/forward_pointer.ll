; Forward mode through memory: a duplicated input array and a duplicated
; output; the loads of the input and the store of the result are active,
; the tangent of the (void) return does not exist.
; MODE: requests
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-activity>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

declare void @__enzyme_fwddiff(...)

define void @axpy1(ptr %x, ptr %y, double %a) {
  %xv = load double, ptr %x, align 8
  %yv = load double, ptr %y, align 8
  %m = fmul double %a, %xv
  %s = fadd double %m, %yv
  store double %s, ptr %y, align 8
  ret void
}

define void @caller(ptr %x, ptr %dx, ptr %y, ptr %dy, double %a) {
  call void (...) @__enzyme_fwddiff(ptr @axpy1, ptr %x, ptr %dx, ptr %y, ptr %dy, double %a, double 0.0)
  ret void
}

; CHECK-LABEL: function @axpy1: __enzyme_fwddiff
; CHECK-NEXT: request: (%x: dup, %y: dup, %a: dup) -> void
; CHECK-NEXT: canonical: (%x: dup, %y: dup, %a: dup) -> void
; CHECK-NEXT: %x: shadowed
; CHECK-NEXT: %y: shadowed
; CHECK-NEXT: %a: active
; CHECK-NEXT: %xv: value=active inst=active
; CHECK-NEXT: %yv: value=active inst=active
; CHECK-NEXT: %m: value=active inst=active
; CHECK-NEXT: %s: value=active inst=active
; CHECK-NEXT: store %s, %y: inst=active
