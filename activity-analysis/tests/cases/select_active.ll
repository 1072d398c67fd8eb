; select of two active values is active; the fcmp deciding it is not.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-activity;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define double @max2(double %x, double %y) {
  %c = fcmp ogt double %x, %y
  %m = select i1 %c, double %x, double %y
  %s = select i1 %c, double 1.0, double 2.0
  %r = fmul double %m, %s
  ret double %r
}

; CHECK-LABEL: function @max2: default activities
; CHECK-NEXT: request: (%x: active, %y: active) -> active
; CHECK-NEXT: canonical: (%x: active, %y: active) -> activenoneed
; CHECK-NEXT: note: return: active -> activenoneed: the request does not return the primal value
; CHECK-NEXT: %x: active
; CHECK-NEXT: %y: active
; CHECK-NEXT: %c: value=const inst=const
; CHECK-NEXT: %m: value=active inst=active
; CHECK-NEXT: %s: value=const inst=const ; useful, not varied
; CHECK-NEXT: %r: value=active inst=active
; CHECK-NEXT: ret %r: inst=active
