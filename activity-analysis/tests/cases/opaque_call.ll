; An external function with no definition and no rule receives a shadowed
; pointer: the analysis cannot look inside, so it assumes the worst: the
; call is an active instruction, its result is varied, and the local it
; also receives gets a shadow.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-activity;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

declare double @mystery(ptr, ptr)

define double @f(ptr %a) {
  %t = alloca double, align 8
  %r = call double @mystery(ptr %a, ptr %t)
  %v = load double, ptr %t, align 8
  %s = fadd double %r, %v
  ret double %s
}

; CHECK-LABEL: function @f: default activities
; CHECK-NEXT: request: (%a: dup) -> active
; CHECK-NEXT: canonical: (%a: dup) -> activenoneed
; CHECK-NEXT: note: return: active -> activenoneed: the request does not return the primal value
; CHECK-NEXT: %a: shadowed
; CHECK-NEXT: %t: value=shadowed inst=const
; CHECK-NEXT: %r: value=active inst=active
; CHECK-NEXT: %v: value=active inst=active
; CHECK-NEXT: %s: value=active inst=active
; CHECK-NEXT: ret %s: inst=active
