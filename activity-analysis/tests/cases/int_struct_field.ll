; A struct { double v; int n } behind a duplicated pointer: the double
; field is active, the integer field and all integer work are constant,
; and an integer store into shadowed memory is a constant instruction.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-activity;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define double @field(ptr %s) {
  %vp = getelementptr inbounds { double, i32 }, ptr %s, i32 0, i32 0
  %np = getelementptr inbounds { double, i32 }, ptr %s, i32 0, i32 1
  %v = load double, ptr %vp, align 8
  %n = load i32, ptr %np, align 8
  %n1 = add i32 %n, 1
  store i32 %n1, ptr %np, align 8
  %nf = sitofp i32 %n to double
  %r = fmul double %v, %nf
  ret double %r
}

; CHECK-LABEL: function @field: default activities
; CHECK-NEXT: request: (%s: dup) -> active
; CHECK-NEXT: canonical: (%s: dup) -> activenoneed
; CHECK-NEXT: note: return: active -> activenoneed: the request does not return the primal value
; CHECK-NEXT: %s: shadowed
; CHECK-NEXT: %vp: value=shadowed inst=const
; CHECK-NEXT: %np: value=shadowed inst=const
; CHECK-NEXT: %v: value=active inst=active
; CHECK-NEXT: %n: value=const inst=const
; CHECK-NEXT: %n1: value=const inst=const
; CHECK-NEXT: store %n1, %np: inst=const
; CHECK-NEXT: %nf: value=const inst=const ; useful, not varied
; CHECK-NEXT: %r: value=active inst=active
; CHECK-NEXT: ret %r: inst=active
