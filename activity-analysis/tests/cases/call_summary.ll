; Calls to defined functions are analyzed from the callee's body (a
; summary per callee and argument activity): the call of @affine is active
; through its first argument only; the call of @const_of ignores its
; argument and returns a constant, so it is a constant instruction.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-activity;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define internal double @affine(double %a, double %b) {
  %m = fmul double %a, 2.0
  %s = fadd double %m, 1.0
  ret double %s
}

define internal double @const_of(double %a) {
  ret double 2.5
}

define double @f(double %x, double %y) {
  %u = call double @affine(double %x, double %y)
  %c = call double @const_of(double %y)
  %r = fmul double %u, %c
  ret double %r
}

; CHECK-LABEL: function @affine: default activities
; CHECK-NEXT: request: (%a: active, %b: active) -> active
; CHECK-NEXT: canonical: (%a: active, %b: const) -> activenoneed
; CHECK-NEXT: note: %b: active -> const: it cannot influence an active output
; CHECK-NEXT: note: return: active -> activenoneed: the request does not return the primal value
; CHECK-NEXT: %a: active
; CHECK-NEXT: %b: const
; CHECK-NEXT: %m: value=active inst=active
; CHECK-NEXT: %s: value=active inst=active
; CHECK-NEXT: ret %s: inst=active

; CHECK-LABEL: function @const_of: default activities
; CHECK-NEXT: request: (%a: active) -> active
; CHECK-NEXT: canonical: (%a: const) -> constnoneed
; CHECK-NEXT: note: %a: active -> const: it cannot influence an active output
; CHECK-NEXT: note: return: active -> constnoneed: the request does not return the primal value; the return value depends on no active input
; CHECK-NEXT: %a: const
; CHECK-NEXT: ret double 2.500000e+00: inst=const

; CHECK-LABEL: function @f: default activities
; CHECK-NEXT: request: (%x: active, %y: active) -> active
; CHECK-NEXT: canonical: (%x: active, %y: const) -> activenoneed
; CHECK-NEXT: note: %y: active -> const: it cannot influence an active output
; CHECK-NEXT: note: return: active -> activenoneed: the request does not return the primal value
; CHECK-NEXT: %x: active
; CHECK-NEXT: %y: const
; CHECK-NEXT: %u: value=active inst=active
; CHECK-NEXT: %c: value=const inst=const ; useful, not varied
; CHECK-NEXT: %r: value=active inst=active
; CHECK-NEXT: ret %r: inst=active
