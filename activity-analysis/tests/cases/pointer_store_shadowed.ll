; Storing a shadowed pointer into shadowed memory writes its shadow into
; the shadow memory: an active instruction storing a shadowed value.
; Storing null there is a constant instruction.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-activity;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define void @link(ptr %node, ptr %other) {
  %nextp = getelementptr inbounds i8, ptr %node, i64 8
  store ptr %other, ptr %nextp, align 8
  %prevp = getelementptr inbounds i8, ptr %node, i64 16
  store ptr null, ptr %prevp, align 8
  ret void
}

; CHECK-LABEL: function @link: default activities
; CHECK-NEXT: request: (%node: dup, %other: dup) -> void
; CHECK-NEXT: canonical: (%node: dup, %other: dup) -> void
; CHECK-NEXT: %node: shadowed
; CHECK-NEXT: %other: shadowed
; CHECK-NEXT: %nextp: value=shadowed inst=const
; CHECK-NEXT: store %other, %nextp: inst=active
; CHECK-NEXT: %prevp: value=shadowed inst=const
; CHECK-NEXT: store ptr null, %prevp: inst=const
