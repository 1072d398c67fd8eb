; A user function declared inactive with an __enzyme_inactivefn global:
; its call is constant although it receives and returns doubles; a user
; function without the annotation is summarized and stays active.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-activity;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

@__enzyme_inactivefn_noise = global [1 x ptr] [ptr @noise]

define double @noise(double %x) {
  %y = fmul double %x, 3.0
  ret double %y
}

define double @helper(double %x) {
  %y = fmul double %x, 3.0
  ret double %y
}

define double @f(double %x) {
  %n = call double @noise(double %x)
  %h = call double @helper(double %x)
  %s = fadd double %n, %h
  ret double %s
}

; CHECK-LABEL: function @noise: default activities
; CHECK-NEXT: request: (%x: active) -> active
; CHECK-NEXT: canonical: (%x: active) -> activenoneed
; CHECK-NEXT: note: return: active -> activenoneed: the request does not return the primal value
; CHECK-NEXT: %x: active
; CHECK-NEXT: %y: value=active inst=active
; CHECK-NEXT: ret %y: inst=active

; CHECK-LABEL: function @helper: default activities
; CHECK-NEXT: request: (%x: active) -> active
; CHECK-NEXT: canonical: (%x: active) -> activenoneed
; CHECK-NEXT: note: return: active -> activenoneed: the request does not return the primal value
; CHECK-NEXT: %x: active
; CHECK-NEXT: %y: value=active inst=active
; CHECK-NEXT: ret %y: inst=active

; CHECK-LABEL: function @f: default activities
; CHECK-NEXT: request: (%x: active) -> active
; CHECK-NEXT: canonical: (%x: active) -> activenoneed
; CHECK-NEXT: note: return: active -> activenoneed: the request does not return the primal value
; CHECK-NEXT: %x: active
; CHECK-NEXT: %n: value=const inst=const ; inactive function
; CHECK-NEXT: %h: value=active inst=active
; CHECK-NEXT: %s: value=active inst=active
; CHECK-NEXT: ret %s: inst=active
