; Pointers through integers: ptrtoint keeps the pointer's tree, pointer +
; integer is a pointer (the same one inttoptr turns back into a double*),
; pointer - pointer is an integer, `p & 7` an integer.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-types;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define double @round(ptr %p, ptr %end) {
  %v0 = load double, ptr %p, align 8
  %a = ptrtoint ptr %p to i64
  %b = add i64 %a, 8
  %q = inttoptr i64 %b to ptr
  %v1 = load double, ptr %q, align 8
  %e = ptrtoint ptr %end to i64
  %len = sub i64 %e, %a
  %mis = and i64 %a, 7
  %s = fadd double %v0, %v1
  ret double %s
}

; CHECK-LABEL: function @round:
; CHECK-NEXT: %p: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NEXT: %end: {[-1]:Pointer}
; CHECK-NEXT: %v0: {[-1]:Float@double}
; CHECK-NEXT: %a: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NEXT: %b: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NEXT: %q: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NEXT: %v1: {[-1]:Float@double}
; CHECK-NEXT: %e: {[-1]:Pointer}
; CHECK-NEXT: %len: {[-1]:Integer}
; CHECK-NEXT: %mis: {[-1]:Integer}
; CHECK-NOT: conflict
