; A recursive function: the summary of a call that is being summarized is
; conservative (the result depends on every active argument), so the
; recursive call is active.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-activity;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define double @rpow(double %x, i32 %n) {
entry:
  %z = icmp eq i32 %n, 0
  br i1 %z, label %base, label %rec

base:
  ret double 1.0

rec:
  %m = sub i32 %n, 1
  %r = call double @rpow(double %x, i32 %m)
  %p = fmul double %r, %x
  ret double %p
}

; CHECK-LABEL: function @rpow: default activities
; CHECK-NEXT: request: (%x: active, %n: const) -> active
; CHECK-NEXT: canonical: (%x: active, %n: const) -> activenoneed
; CHECK-NEXT: note: return: active -> activenoneed: the request does not return the primal value
; CHECK-NEXT: %x: active
; CHECK-NEXT: %n: const
; CHECK-NEXT: %z: value=const inst=const
; CHECK-NEXT: ret double 1.000000e+00: inst=const
; CHECK-NEXT: %m: value=const inst=const
; CHECK-NEXT: %r: value=active inst=active
; CHECK-NEXT: %p: value=active inst=active
; CHECK-NEXT: ret %p: inst=active
