; Aggregates in registers: insertvalue of active values builds an active
; struct; extracting an active field is active, extracting the integer
; field is not.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-activity;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define double @pair(double %x, i32 %n) {
  %a = insertvalue { double, i32 } poison, double %x, 0
  %b = insertvalue { double, i32 } %a, i32 %n, 1
  %v = extractvalue { double, i32 } %b, 0
  %k = extractvalue { double, i32 } %b, 1
  %kf = sitofp i32 %k to double
  %r = fmul double %v, %kf
  ret double %r
}

; CHECK-LABEL: function @pair: default activities
; CHECK-NEXT: request: (%x: active, %n: const) -> active
; CHECK-NEXT: canonical: (%x: active, %n: const) -> activenoneed
; CHECK-NEXT: note: return: active -> activenoneed: the request does not return the primal value
; CHECK-NEXT: %x: active
; CHECK-NEXT: %n: const
; CHECK-NEXT: %a: value=active inst=active
; CHECK-NEXT: %b: value=active inst=active
; CHECK-NEXT: %v: value=active inst=active
; CHECK-NEXT: %k: value=const inst=const
; CHECK-NEXT: %kf: value=const inst=const ; useful, not varied
; CHECK-NEXT: %r: value=active inst=active
; CHECK-NEXT: ret %r: inst=active
