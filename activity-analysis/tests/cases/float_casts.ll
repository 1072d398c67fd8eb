; fpext/fptrunc/fneg between float and double are differentiable: the
; whole chain is active.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-activity;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define float @mix(float %x, double %y) {
  %xd = fpext float %x to double
  %p = fmul double %xd, %y
  %n = fneg double %p
  %r = fptrunc double %n to float
  ret float %r
}

; CHECK-LABEL: function @mix: default activities
; CHECK-NEXT: request: (%x: active, %y: active) -> active
; CHECK-NEXT: canonical: (%x: active, %y: active) -> activenoneed
; CHECK-NEXT: note: return: active -> activenoneed: the request does not return the primal value
; CHECK-NEXT: %x: active
; CHECK-NEXT: %y: active
; CHECK-NEXT: %xd: value=active inst=active
; CHECK-NEXT: %p: value=active inst=active
; CHECK-NEXT: %n: value=active inst=active
; CHECK-NEXT: %r: value=active inst=active
; CHECK-NEXT: ret %r: inst=active
