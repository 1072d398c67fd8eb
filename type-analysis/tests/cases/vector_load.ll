; Vector loads and stores: every lane of <4 x float> lands at its offset;
; an <2 x i64> load of that memory carries floats only where sizes agree
; (nowhere), an extractelement gets the lane type.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-types;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define float @lanes(ptr %a, ptr %b, ptr %c) {
  %v = load <4 x float>, ptr %a, align 16
  %w = fmul <4 x float> %v, %v
  store <4 x float> %w, ptr %b, align 16
  %e = extractelement <4 x float> %w, i64 2
  %d = load <2 x double>, ptr %c, align 16
  %i = bitcast <2 x double> %d to <2 x i64>
  %j = load <2 x i64>, ptr %a, align 16
  ret float %e
}

; CHECK-LABEL: function @lanes:
; CHECK-NEXT: %a: {[-1]:Pointer, [-1,0]:Float@float, [-1,4]:Float@float, [-1,8]:Float@float, [-1,12]:Float@float}
; CHECK-NEXT: %b: {[-1]:Pointer, [-1,0]:Float@float, [-1,4]:Float@float, [-1,8]:Float@float, [-1,12]:Float@float}
; CHECK-NEXT: %c: {[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Float@double}
; CHECK-NEXT: %v: {[-1]:Float@float}
; CHECK-NEXT: %w: {[-1]:Float@float}
; CHECK-NEXT: %e: {[-1]:Float@float}
; CHECK-NEXT: %d: {[-1]:Float@double}
; CHECK-NEXT: %i: {[-1]:Float@double}
; CHECK-NEXT: %j: {}
