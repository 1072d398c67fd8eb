; Vector operations carry derivatives like scalars: the vector load from
; shadowed memory, the product, the shuffle, the insert and the extracts.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-activity;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define double @dot2(ptr %a, double %x) {
  %v = load <2 x double>, ptr %a, align 16
  %sq = fmul <2 x double> %v, %v
  %sw = shufflevector <2 x double> %sq, <2 x double> poison, <2 x i32> <i32 1, i32 0>
  %in = insertelement <2 x double> %sw, double %x, i32 0
  %e0 = extractelement <2 x double> %in, i32 0
  %e1 = extractelement <2 x double> %in, i32 1
  %s = fadd double %e0, %e1
  ret double %s
}

; CHECK-LABEL: function @dot2: default activities
; CHECK-NEXT: request: (%a: dup, %x: active) -> active
; CHECK-NEXT: canonical: (%a: dup, %x: active) -> activenoneed
; CHECK-NEXT: note: return: active -> activenoneed: the request does not return the primal value
; CHECK-NEXT: %a: shadowed
; CHECK-NEXT: %x: active
; CHECK-NEXT: %v: value=active inst=active
; CHECK-NEXT: %sq: value=active inst=active
; CHECK-NEXT: %sw: value=active inst=active
; CHECK-NEXT: %in: value=active inst=active
; CHECK-NEXT: %e0: value=active inst=active
; CHECK-NEXT: %e1: value=active inst=active
; CHECK-NEXT: %s: value=active inst=active
; CHECK-NEXT: ret %s: inst=active
