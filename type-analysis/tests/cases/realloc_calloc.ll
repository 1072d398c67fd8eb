; Allocation functions: calloc's and new's results are pointers, realloc's
; result holds what the old block held, sizes are integers, delete frees.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-types;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define ptr @grow(i64 %n, i64 %m) {
  %a = call ptr @calloc(i64 %n, i64 8)
  store double 1.0, ptr %a, align 8
  %b = call ptr @realloc(ptr %a, i64 %m)
  %o = call ptr @_Znwm(i64 16)
  call void @_ZdlPv(ptr %o)
  ret ptr %b
}
declare ptr @calloc(i64, i64)
declare ptr @realloc(ptr, i64)
declare ptr @_Znwm(i64)
declare void @_ZdlPv(ptr)

; CHECK-LABEL: function @grow:
; CHECK-NEXT: %n: {[-1]:Integer}
; CHECK-NEXT: %m: {[-1]:Integer}
; CHECK-NEXT: %a: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NEXT: %b: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NEXT: %o: {[-1]:Pointer}
; CHECK-NEXT: return: {[-1]:Pointer, [-1,0]:Float@double}
