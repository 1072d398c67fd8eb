; The square(x, y) example of the Enzyme-MLIR talk, with the two outputs
; o1 = x*x and o2 = x*y written through pointers. The caller uses only o2
; and dx: dy is eliminated (y: active -> const) and o1 is not returned
; (its primal memory is never read by the caller: dup -> dupnoneed).
; MODE: requests
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-activity>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

@enzyme_dup = external global i32
@enzyme_out = external global i32

define void @square(double %x, double %y, ptr %o1, ptr %o2) {
  %a = fmul double %x, %x
  store double %a, ptr %o1, align 8
  %b = fmul double %x, %y
  store double %b, ptr %o2, align 8
  ret void
}

declare { double, double } @__enzyme_autodiff(...)

define double @caller(double %x, double %y) {
  %o1 = alloca double, align 8
  %o2 = alloca double, align 8
  %d1 = alloca double, align 8
  %d2 = alloca double, align 8
  store double 1.0, ptr %d1, align 8
  store double 1.0, ptr %d2, align 8
  %r = call { double, double } (...) @__enzyme_autodiff(ptr @square, ptr @enzyme_out, double %x, ptr @enzyme_out, double %y, ptr @enzyme_dup, ptr %o1, ptr %d1, ptr @enzyme_dup, ptr %o2, ptr %d2)
  %dx = extractvalue { double, double } %r, 0
  %v = load double, ptr %o2, align 8
  %s = fadd double %dx, %v
  ret double %s
}

; CHECK-LABEL: function @square: __enzyme_autodiff
; CHECK-NEXT: request: (%x: active, %y: active, %o1: dup, %o2: dup) -> void
; CHECK-NEXT: canonical: (%x: active, %y: const, %o1: dupnoneed, %o2: dup) -> void
; CHECK-NEXT: note: %y: active -> const: the caller never reads its derivative
; CHECK-NEXT: note: %o1: dup -> dupnoneed: the caller never reads its memory after the call
; CHECK-NEXT: %x: active
; CHECK-NEXT: %y: const ; useful, not varied
; CHECK-NEXT: %o1: shadowed
; CHECK-NEXT: %o2: shadowed
; CHECK-NEXT: %a: value=active inst=active
; CHECK-NEXT: store %a, %o1: inst=active
; CHECK-NEXT: %b: value=active inst=active
; CHECK-NEXT: store %b, %o2: inst=active
