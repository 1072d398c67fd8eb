; A float atomic add into shadowed memory acts like a store: the added value
; is useful, the atomicrmw does derivative work; an integer counter updated
; atomically next to it stays constant.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-activity;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define void @acc(double %x, ptr %out, ptr %count) {
entry:
  %sq = fmul double %x, %x
  %old = atomicrmw fadd ptr %out, double %sq monotonic, align 8
  %c = atomicrmw add ptr %count, i32 1 monotonic, align 4
  ret void
}

; CHECK-LABEL: function @acc: default activities
; CHECK-NEXT: request: (%x: active, %out: dup, %count: dup) -> void
; CHECK-NEXT: canonical: (%x: active, %out: dup, %count: const) -> void
; CHECK-NEXT: note: %count: dup -> const: no active instruction reads or writes its memory
; CHECK-NEXT: %x: active
; CHECK-NEXT: %out: shadowed
; CHECK-NEXT: %count: const
; CHECK-NEXT: %sq: value=active inst=active
; CHECK-NEXT: %old: value=const inst=active ; varied, not useful
; CHECK-NEXT: %c: value=const inst=const
