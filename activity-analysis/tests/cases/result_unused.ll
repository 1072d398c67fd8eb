; Reverse mode whose returned derivatives are never read: both enzyme_out
; arguments lower to const, then the return depends on no active input
; and needs no seed (activenoneed -> constnoneed). The store into the
; duplicated output stores a constant now, yet stays an active instruction
; (it must still clear the shadow), so %out keeps its shadow.
; MODE: requests
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-activity>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

declare { double, double } @__enzyme_autodiff(...)

define double @f(double %x, double %y, ptr %out) {
  %p = fmul double %x, %y
  store double %p, ptr %out, align 8
  ret double %p
}

define void @caller(double %x, double %y, ptr %out, ptr %dout) {
  %r = call { double, double } (...) @__enzyme_autodiff(ptr @f, double %x, double %y, ptr %out, ptr %dout)
  ret void
}

; CHECK-LABEL: function @f: __enzyme_autodiff
; CHECK-NEXT: request: (%x: active, %y: active, %out: dup) -> active
; CHECK-NEXT: canonical: (%x: const, %y: const, %out: dup) -> constnoneed
; CHECK-NEXT: note: %x: active -> const: the caller never reads its derivative
; CHECK-NEXT: note: %y: active -> const: the caller never reads its derivative
; CHECK-NEXT: note: return: active -> constnoneed: the request does not return the primal value; the return value depends on no active input
; CHECK-NEXT: %x: const ; useful, not varied
; CHECK-NEXT: %y: const ; useful, not varied
; CHECK-NEXT: %out: shadowed
; CHECK-NEXT: %p: value=const inst=const ; useful, not varied
; CHECK-NEXT: store %p, %out: inst=active
; CHECK-NEXT: ret %p: inst=const
