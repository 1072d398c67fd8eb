; An active argument used only by a comparison cannot influence the
; result's value: x canonicalizes to const, y stays active.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-activity;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define double @sign_of(double %x, double %y) {
entry:
  %pos = fcmp ogt double %x, 0.0
  br i1 %pos, label %then, label %else

then:
  br label %exit

else:
  %n = fneg double %y
  br label %exit

exit:
  %r = phi double [ %y, %then ], [ %n, %else ]
  ret double %r
}

; CHECK-LABEL: function @sign_of: default activities
; CHECK-NEXT: request: (%x: active, %y: active) -> active
; CHECK-NEXT: canonical: (%x: const, %y: active) -> activenoneed
; CHECK-NEXT: note: %x: active -> const: it cannot influence an active output
; CHECK-NEXT: note: return: active -> activenoneed: the request does not return the primal value
; CHECK-NEXT: %x: const
; CHECK-NEXT: %y: active
; CHECK-NEXT: %pos: value=const inst=const
; CHECK-NEXT: %n: value=active inst=active
; CHECK-NEXT: %r: value=active inst=active
; CHECK-NEXT: ret %r: inst=active
