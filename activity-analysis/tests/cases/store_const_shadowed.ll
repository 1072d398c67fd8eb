; Storing a constant into shadowed memory: the stored value is constant,
; but the store is an active instruction (the reverse sweep must zero the
; shadow it overwrites). An integer store is not, so %count, which only
; receives one, needs no shadow.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-activity;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define void @reset(ptr %out, ptr %count, double %x) {
  %old = load double, ptr %out, align 8
  %y = fmul double %old, %x
  %p1 = getelementptr inbounds double, ptr %out, i64 1
  store double %y, ptr %p1, align 8
  store double 0.0, ptr %out, align 8
  store i32 0, ptr %count, align 4
  ret void
}

; CHECK-LABEL: function @reset: default activities
; CHECK-NEXT: request: (%out: dup, %count: dup, %x: active) -> void
; CHECK-NEXT: canonical: (%out: dup, %count: const, %x: active) -> void
; CHECK-NEXT: note: %count: dup -> const: no active instruction reads or writes its memory
; CHECK-NEXT: %out: shadowed
; CHECK-NEXT: %count: const
; CHECK-NEXT: %x: active
; CHECK-NEXT: %old: value=active inst=active
; CHECK-NEXT: %y: value=active inst=active
; CHECK-NEXT: %p1: value=shadowed inst=const
; CHECK-NEXT: store %y, %p1: inst=active
; CHECK-NEXT: store double 0.000000e+00, %out: inst=active
; CHECK-NEXT: store i32 0, %count: inst=const
