; union { double d; long i; } at -O0: the alloca is written as a double and
; read back as an i64. The bits of a double stay a double (like a bitcast),
; so the i64 carries Float@double; using it as an integer would conflict.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-types;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

%union.U = type { double }

define i64 @bits(double %x) {
entry:
  %u = alloca %union.U, align 8
  store double %x, ptr %u, align 8
  %i = load i64, ptr %u, align 8
  ret i64 %i
}

; CHECK-LABEL: function @bits:
; CHECK-NEXT: %x: {[-1]:Float@double}
; CHECK-NEXT: %u: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NEXT: %i: {[-1]:Float@double}
; CHECK-NEXT: return: {[-1]:Float@double}
