; float and double are different types: each pointer gets its own format,
; x86_fp80 and half too, and fpext/fptrunc relate them.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-types;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define void @mix(ptr %f, ptr %d, ptr %l, ptr %h) {
  %x = load float, ptr %f, align 4
  %y = fpext float %x to double
  store double %y, ptr %d, align 8
  %z = fpext double %y to x86_fp80
  %l1 = getelementptr inbounds x86_fp80, ptr %l, i64 1
  store x86_fp80 %z, ptr %l1, align 16
  %w = fptrunc float %x to half
  store half %w, ptr %h, align 2
  ret void
}

; CHECK-LABEL: function @mix:
; CHECK-NEXT: %f: {[-1]:Pointer, [-1,0]:Float@float}
; CHECK-NEXT: %d: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NEXT: %l: {[-1]:Pointer, [-1,16]:Float@x86_fp80}
; CHECK-NEXT: %h: {[-1]:Pointer, [-1,0]:Float@half}
; CHECK-NEXT: %x: {[-1]:Float@float}
; CHECK-NEXT: %y: {[-1]:Float@double}
; CHECK-NEXT: %z: {[-1]:Float@x86_fp80}
