; Forward mode asking for the primal too (enzyme_dup_return returns
; { primal, tangent }): the caller extracts only the tangent, so the return
; canonicalizes from dup to dupnoneed.
; MODE: requests
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-activity>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

@enzyme_dup_return = external global i32

declare { double, double } @__enzyme_fwddiff(...)

define double @sq(double %x) {
  %y = fmul double %x, %x
  ret double %y
}

define double @caller(double %x) {
  %r = call { double, double } (...) @__enzyme_fwddiff(ptr @sq, ptr @enzyme_dup_return, double %x, double 1.0)
  %t = extractvalue { double, double } %r, 1
  ret double %t
}

; CHECK-LABEL: function @sq: __enzyme_fwddiff
; CHECK-NEXT: request: (%x: dup) -> dup
; CHECK-NEXT: canonical: (%x: dup) -> dupnoneed
; CHECK-NEXT: note: return: dup -> dupnoneed: the caller never reads the primal return value
; CHECK-NEXT: %x: active
; CHECK-NEXT: %y: value=active inst=active
; CHECK-NEXT: ret %y: inst=active
