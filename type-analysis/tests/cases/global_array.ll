; Globals are typed from their IR type and shared by every function; a
; constant GEP expression into a struct global lands on the right field.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-types;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

@table = global [8 x double] zeroinitializer, align 16
@state = global { i64, ptr, double } zeroinitializer, align 8

define double @lookup(i64 %i) {
  %p = getelementptr inbounds [8 x double], ptr @table, i64 0, i64 %i
  %v = load double, ptr %p, align 8
  %s = load double, ptr getelementptr inbounds (i8, ptr @state, i64 16), align 8
  %q = load ptr, ptr getelementptr inbounds (i8, ptr @state, i64 8), align 8
  %w = load double, ptr %q, align 8
  %r = fadd double %v, %s
  ret double %r
}

; CHECK-LABEL: function @lookup:
; CHECK-NEXT: %i: {[-1]:Integer}
; CHECK-NEXT: %p: {[-1]:Pointer, [-1,-1]:Float@double}
; CHECK-NEXT: %v: {[-1]:Float@double}
; CHECK-NEXT: %s: {[-1]:Float@double}
; CHECK-NEXT: %q: {[-1]:Pointer, [-1,0]:Float@double}
