; A callee stores an active value through its pointer argument: the
; caller's local passed to it must get a shadow, and the value read back
; from the local is active.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-activity;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define internal void @put_square(ptr %out, double %a) {
  %sq = fmul double %a, %a
  store double %sq, ptr %out, align 8
  ret void
}

define double @f(double %x) {
  %t = alloca double, align 8
  call void @put_square(ptr %t, double %x)
  %v = load double, ptr %t, align 8
  ret double %v
}

; CHECK-LABEL: function @put_square: default activities
; CHECK-NEXT: request: (%out: dup, %a: active) -> void
; CHECK-NEXT: canonical: (%out: dup, %a: active) -> void
; CHECK-NEXT: %out: shadowed
; CHECK-NEXT: %a: active
; CHECK-NEXT: %sq: value=active inst=active
; CHECK-NEXT: store %sq, %out: inst=active

; CHECK-LABEL: function @f: default activities
; CHECK-NEXT: request: (%x: active) -> active
; CHECK-NEXT: canonical: (%x: active) -> activenoneed
; CHECK-NEXT: note: return: active -> activenoneed: the request does not return the primal value
; CHECK-NEXT: %x: active
; CHECK-NEXT: %t: value=shadowed inst=const
; CHECK-NEXT: call @put_square(%t, %x): inst=active
; CHECK-NEXT: %v: value=active inst=active
; CHECK-NEXT: ret %v: inst=active
