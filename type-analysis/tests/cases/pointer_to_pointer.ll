; double **m: a row pointer loaded from memory, then an element of the row.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-types;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define double @get(ptr %m, i64 %i, i64 %j) {
entry:
  %row.p = getelementptr inbounds ptr, ptr %m, i64 %i
  %row = load ptr, ptr %row.p, align 8
  %e.p = getelementptr inbounds double, ptr %row, i64 %j
  %e = load double, ptr %e.p, align 8
  ret double %e
}

; CHECK-LABEL: function @get:
; CHECK-NEXT: %m: {[-1]:Pointer, [-1,0]:Pointer, [-1,0,0]:Float@double}
; CHECK-NEXT: %i: {[-1]:Integer}
; CHECK-NEXT: %j: {[-1]:Integer}
; CHECK-NEXT: %row.p: {[-1]:Pointer, [-1,0]:Pointer, [-1,0,0]:Float@double}
; CHECK-NEXT: %row: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NEXT: %e.p: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NEXT: %e: {[-1]:Float@double}
