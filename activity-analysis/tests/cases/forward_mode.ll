; Forward mode: the float arguments carry tangents (dup), the return's
; tangent is returned (dup), and since __enzyme_fwddiff returns only the
; tangent the primal return is not needed (dupnoneed).
; MODE: requests
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-activity>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

declare double @__enzyme_fwddiff(...)

define double @cube(double %x) {
  %x2 = fmul double %x, %x
  %x3 = fmul double %x2, %x
  ret double %x3
}

define double @caller(double %x) {
  %t = call double (...) @__enzyme_fwddiff(ptr @cube, double %x, double 1.0)
  ret double %t
}

; CHECK-LABEL: function @cube: __enzyme_fwddiff
; CHECK-NEXT: request: (%x: dup) -> dup
; CHECK-NEXT: canonical: (%x: dup) -> dupnoneed
; CHECK-NEXT: note: return: dup -> dupnoneed: the request does not return the primal value
; CHECK-NEXT: %x: active
; CHECK-NEXT: %x2: value=active inst=active
; CHECK-NEXT: %x3: value=active inst=active
; CHECK-NEXT: ret %x3: inst=active
