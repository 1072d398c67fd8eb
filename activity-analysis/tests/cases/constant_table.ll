; A constant global table is inactive memory: loads from it are constant,
; whatever the index; their product with x is active.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-activity;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

@coef = private unnamed_addr constant [3 x double] [double 1.0, double 0.5, double 0.25]

define double @poly(double %x, i64 %k) {
  %p = getelementptr inbounds [3 x double], ptr @coef, i64 0, i64 %k
  %c = load double, ptr %p, align 8
  %y = fmul double %c, %x
  ret double %y
}

; CHECK-LABEL: function @poly: default activities
; CHECK-NEXT: request: (%x: active, %k: const) -> active
; CHECK-NEXT: canonical: (%x: active, %k: const) -> activenoneed
; CHECK-NEXT: note: return: active -> activenoneed: the request does not return the primal value
; CHECK-NEXT: %x: active
; CHECK-NEXT: %k: const
; CHECK-NEXT: %p: value=const inst=const
; CHECK-NEXT: %c: value=const inst=const ; useful, not varied
; CHECK-NEXT: %y: value=active inst=active
; CHECK-NEXT: ret %y: inst=active
