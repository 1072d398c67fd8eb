; Aggregates by value: insertvalue/extractvalue place fields at their byte
; offsets; a { double, i64 } return carries both; x86-64's <2 x float>
; coercion of struct { float a, b; } has float lanes.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-types;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define { double, i64 } @pair(double %x, i64 %n) {
  %a = insertvalue { double, i64 } poison, double %x, 0
  %b = insertvalue { double, i64 } %a, i64 %n, 1
  ret { double, i64 } %b
}

define double @use(ptr %out) {
  %p = call { double, i64 } @pair(double 1.0, i64 3)
  %d = extractvalue { double, i64 } %p, 0
  %k = extractvalue { double, i64 } %p, 1
  %k2 = mul i64 %k, 2
  store { double, i64 } %p, ptr %out, align 8
  ret double %d
}

define float @coerced(<2 x float> %ab) {
  %a = extractelement <2 x float> %ab, i64 0
  ret float %a
}

; CHECK-LABEL: function @pair:
; CHECK-NEXT: %x: {[-1]:Float@double}
; CHECK-NEXT: %n: {[-1]:Integer}
; CHECK-NEXT: %a: {[0]:Float@double}
; CHECK-NEXT: %b: {[0]:Float@double, [8]:Integer}
; CHECK-NEXT: return: {[0]:Float@double, [8]:Integer}
; CHECK-LABEL: function @use:
; CHECK-NEXT: %out: {[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Integer}
; CHECK-NEXT: %p: {[0]:Float@double, [8]:Integer}
; CHECK-NEXT: %d: {[-1]:Float@double}
; CHECK-NEXT: %k: {[-1]:Integer}
; CHECK-LABEL: function @coerced:
; CHECK-NEXT: %ab: {[-1]:Float@float}
