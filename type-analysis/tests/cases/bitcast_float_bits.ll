; fabs/fneg written with integer masks keep the float: the masked i64 is
; still a double's bits; a <2 x float> bitcast to double keeps only what
; does not depend on the lane size.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-types;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define double @absval(double %x, <2 x float> %v) {
  %b = bitcast double %x to i64
  %m = and i64 %b, 9223372036854775807
  %n = xor i64 %m, -9223372036854775808
  %r = bitcast i64 %n to double
  %d = bitcast <2 x float> %v to double
  ret double %r
}

; CHECK-LABEL: function @absval:
; CHECK-NEXT: %x: {[-1]:Float@double}
; CHECK-NEXT: %v: {[-1]:Float@float}
; CHECK-NEXT: %b: {[-1]:Float@double}
; CHECK-NEXT: %m: {[-1]:Float@double}
; CHECK-NEXT: %n: {[-1]:Float@double}
; CHECK-NEXT: %r: {[-1]:Float@double}
; CHECK-NEXT: %d: {[-1]:Float@double}
; CHECK-NOT: conflict
