; fptosi of an active value is constant (an integer carries no
; derivative), and so is everything computed from the integer; the product
; with x stays active through x.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-activity;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define double @floor_times(double %x) {
  %i = fptosi double %x to i32
  %j = add i32 %i, 1
  %f = sitofp i32 %j to double
  %y = fmul double %f, %x
  ret double %y
}

; CHECK-LABEL: function @floor_times: default activities
; CHECK-NEXT: request: (%x: active) -> active
; CHECK-NEXT: canonical: (%x: active) -> activenoneed
; CHECK-NEXT: note: return: active -> activenoneed: the request does not return the primal value
; CHECK-NEXT: %x: active
; CHECK-NEXT: %i: value=const inst=const
; CHECK-NEXT: %j: value=const inst=const
; CHECK-NEXT: %f: value=const inst=const ; useful, not varied
; CHECK-NEXT: %y: value=active inst=active
; CHECK-NEXT: ret %y: inst=active
