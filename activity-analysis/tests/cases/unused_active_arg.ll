; An active argument that does not reach the output: the return value is a
; constant, so nothing can carry a derivative. Canonicalization lowers the
; argument to const and the return to constnoneed; everything is const.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-activity;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define double @ignore(double %x) {
  %t = fmul double %x, %x
  %u = fadd double %t, 1.0
  ret double 4.0
}

; CHECK-LABEL: function @ignore: default activities
; CHECK-NEXT: request: (%x: active) -> active
; CHECK-NEXT: canonical: (%x: const) -> constnoneed
; CHECK-NEXT: note: %x: active -> const: it cannot influence an active output
; CHECK-NEXT: note: return: active -> constnoneed: the request does not return the primal value; the return value depends on no active input
; CHECK-NEXT: %x: const
; CHECK-NEXT: %t: value=const inst=const
; CHECK-NEXT: %u: value=const inst=const
; CHECK-NEXT: ret double 4.000000e+00: inst=const
