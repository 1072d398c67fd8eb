; Randomness and clocks are known inactive: drand48() returns a double
; that depends on no input, rand() and time() integers. The product with
; the random double stays active through x.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-activity;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

declare double @drand48()
declare i32 @rand()
declare i64 @time(ptr)

define double @noisy(double %x) {
  %u = call double @drand48()
  %r = call i32 @rand()
  %t = call i64 @time(ptr null)
  %y = fmul double %x, %u
  ret double %y
}

; CHECK-LABEL: function @noisy: default activities
; CHECK-NEXT: request: (%x: active) -> active
; CHECK-NEXT: canonical: (%x: active) -> activenoneed
; CHECK-NEXT: note: return: active -> activenoneed: the request does not return the primal value
; CHECK-NEXT: %x: active
; CHECK-NEXT: %u: value=const inst=const ; inactive function
; CHECK-NEXT: %r: value=const inst=const ; inactive function
; CHECK-NEXT: %t: value=const inst=const ; inactive function
; CHECK-NEXT: %y: value=active inst=active
; CHECK-NEXT: ret %y: inst=active
