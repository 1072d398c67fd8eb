; A pointer stored into memory and loaded back elsewhere: the slot holds a
; Pointer whose own pointee (doubles) travels with it.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-types;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define double @roundtrip(ptr %data) {
entry:
  %slot = alloca ptr, align 8
  store ptr %data, ptr %slot, align 8
  %back = load ptr, ptr %slot, align 8
  %v = load double, ptr %back, align 8
  ret double %v
}

define void @publish(ptr %box, ptr %x) {
  %f = getelementptr inbounds i8, ptr %box, i64 8
  store ptr %x, ptr %f, align 8
  %y = load float, ptr %x, align 4
  ret void
}

; CHECK-LABEL: function @roundtrip:
; CHECK-NEXT: %data: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NEXT: %slot: {[-1]:Pointer, [-1,0]:Pointer, [-1,0,0]:Float@double}
; CHECK-NEXT: %back: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-LABEL: function @publish:
; CHECK-NEXT: %box: {[-1]:Pointer, [-1,8]:Pointer, [-1,8,0]:Float@float}
; CHECK-NEXT: %x: {[-1]:Pointer, [-1,0]:Float@float}
