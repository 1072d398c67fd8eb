; enzyme_const on a float argument: it is constant before and after, and
; so is everything computed only from it; enzyme_dupnoneed on a pointer is
; kept (its memory is written by an active store).
; MODE: requests
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-activity>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

@enzyme_const = external global i32
@enzyme_dupnoneed = external global i32

declare double @__enzyme_autodiff(...)

define void @scale(double %x, double %k, ptr %out) {
  %k2 = fmul double %k, %k
  %y = fmul double %x, %k2
  store double %y, ptr %out, align 8
  ret void
}

define double @caller(double %x, double %k, ptr %out, ptr %dout) {
  %d = call double (...) @__enzyme_autodiff(ptr @scale, double %x, ptr @enzyme_const, double %k, ptr @enzyme_dupnoneed, ptr %out, ptr %dout)
  ret double %d
}

; CHECK-LABEL: function @scale: __enzyme_autodiff
; CHECK-NEXT: request: (%x: active, %k: const, %out: dupnoneed) -> void
; CHECK-NEXT: canonical: (%x: active, %k: const, %out: dupnoneed) -> void
; CHECK-NEXT: %x: active
; CHECK-NEXT: %k: const ; useful, not varied
; CHECK-NEXT: %out: shadowed
; CHECK-NEXT: %k2: value=const inst=const ; useful, not varied
; CHECK-NEXT: %y: value=active inst=active
; CHECK-NEXT: store %y, %out: inst=active
