; A call to printf is constant even when it prints an active value; the
; value itself stays active through its other use.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-activity;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

@fmt = private unnamed_addr constant [4 x i8] c"%g\0A\00"

declare i32 @printf(ptr, ...)

define double @logged(double %x) {
  %y = fmul double %x, %x
  %c = call i32 (ptr, ...) @printf(ptr @fmt, double %y)
  %z = fadd double %y, 1.0
  ret double %z
}

; CHECK-LABEL: function @logged: default activities
; CHECK-NEXT: request: (%x: active) -> active
; CHECK-NEXT: canonical: (%x: active) -> activenoneed
; CHECK-NEXT: note: return: active -> activenoneed: the request does not return the primal value
; CHECK-NEXT: %x: active
; CHECK-NEXT: %y: value=active inst=active
; CHECK-NEXT: %c: value=const inst=const ; inactive function
; CHECK-NEXT: %z: value=active inst=active
; CHECK-NEXT: ret %z: inst=active
