; Forward mode whose returned tangent is never read: the return needs no
; tangent (constnoneed), so nothing can influence an active output and the
; argument's tangent is dropped too.
; MODE: requests
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-activity>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

declare double @__enzyme_fwddiff(...)

define double @sq(double %x) {
  %y = fmul double %x, %x
  ret double %y
}

define void @caller(double %x) {
  %t = call double (...) @__enzyme_fwddiff(ptr @sq, double %x, double 1.0)
  ret void
}

; CHECK-LABEL: function @sq: __enzyme_fwddiff
; CHECK-NEXT: request: (%x: dup) -> dup
; CHECK-NEXT: canonical: (%x: const) -> constnoneed
; CHECK-NEXT: note: %x: dup -> const: it cannot influence an active output
; CHECK-NEXT: note: return: dup -> constnoneed: the caller never reads the returned tangent; the request does not return the primal value
; CHECK-NEXT: %x: const
; CHECK-NEXT: %y: value=const inst=const
; CHECK-NEXT: ret %y: inst=const
