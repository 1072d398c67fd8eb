; A load from shadowed memory whose result is never used: its value is
; varied (it depends on the active input) but not useful, so it is
; constant and its instruction does no derivative work.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-activity;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define double @first(ptr %x) {
  %p1 = getelementptr inbounds double, ptr %x, i64 1
  %unused = load double, ptr %p1, align 8
  %v = load double, ptr %x, align 8
  ret double %v
}

; CHECK-LABEL: function @first: default activities
; CHECK-NEXT: request: (%x: dup) -> active
; CHECK-NEXT: canonical: (%x: dup) -> activenoneed
; CHECK-NEXT: note: return: active -> activenoneed: the request does not return the primal value
; CHECK-NEXT: %x: shadowed
; CHECK-NEXT: %p1: value=shadowed inst=const
; CHECK-NEXT: %unused: value=const inst=const ; varied, not useful
; CHECK-NEXT: %v: value=active inst=active
; CHECK-NEXT: ret %v: inst=active
