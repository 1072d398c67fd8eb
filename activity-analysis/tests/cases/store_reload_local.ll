; A value stored to a local and reloaded stays active through memory: the
; alloca receives active data, so it gets a shadow, and the reload is
; active. A second local holding only a constant stays constant.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-activity;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define double @twice(double %x) {
  %t = alloca double, align 8
  %c = alloca double, align 8
  %y = fmul double %x, 2.0
  store double %y, ptr %t, align 8
  store double 3.0, ptr %c, align 8
  %r = load double, ptr %t, align 8
  %k = load double, ptr %c, align 8
  %z = fmul double %r, %k
  ret double %z
}

; CHECK-LABEL: function @twice: default activities
; CHECK-NEXT: request: (%x: active) -> active
; CHECK-NEXT: canonical: (%x: active) -> activenoneed
; CHECK-NEXT: note: return: active -> activenoneed: the request does not return the primal value
; CHECK-NEXT: %x: active
; CHECK-NEXT: %t: value=shadowed inst=const
; CHECK-NEXT: %c: value=const inst=const
; CHECK-NEXT: %y: value=active inst=active
; CHECK-NEXT: store %y, %t: inst=active
; CHECK-NEXT: store double 3.000000e+00, %c: inst=const
; CHECK-NEXT: %r: value=active inst=active
; CHECK-NEXT: %k: value=const inst=const ; useful, not varied
; CHECK-NEXT: %z: value=active inst=active
; CHECK-NEXT: ret %z: inst=active
