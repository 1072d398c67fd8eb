; The same memory read as a double and as an integer: a conflict, reported
; with the value, the offset, both types and the instruction that said so.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-types;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define double @pun(ptr %p) {
  %d = load double, ptr %p, align 8
  %i = load i64, ptr %p, align 8
  %j = mul i64 %i, 3
  %s = sitofp i64 %j to double
  %r = fadd double %d, %s
  ret double %r
}

; CHECK-LABEL: function @pun:
; CHECK-NEXT: %p: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NEXT: %d: {[-1]:Float@double}
; CHECK: conflict: type conflict for %i at [-1]: Float@double vs Integer (from `%j = mul i64 %i, 3`)
