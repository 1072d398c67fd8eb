; memset of shadowed memory must clear the shadow too (an active
; instruction); memset of a local that never receives active data is not.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-activity;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

declare void @llvm.memset.p0.i64(ptr, i8, i64, i1)

define double @clear(ptr %a, double %x) {
  %loc = alloca [4 x double], align 8
  call void @llvm.memset.p0.i64(ptr %loc, i8 0, i64 32, i1 false)
  %l = load double, ptr %loc, align 8
  %v = load double, ptr %a, align 8
  %y = fmul double %v, %x
  call void @llvm.memset.p0.i64(ptr %a, i8 0, i64 32, i1 false)
  %s = fadd double %y, %l
  ret double %s
}

; CHECK-LABEL: function @clear: default activities
; CHECK-NEXT: request: (%a: dup, %x: active) -> active
; CHECK-NEXT: canonical: (%a: dup, %x: active) -> activenoneed
; CHECK-NEXT: note: return: active -> activenoneed: the request does not return the primal value
; CHECK-NEXT: %a: shadowed
; CHECK-NEXT: %x: active
; CHECK-NEXT: %loc: value=const inst=const
; CHECK-NEXT: call @llvm.memset.p0.i64(%loc, i8 0, i64 32, i1 false): inst=const
; CHECK-NEXT: %l: value=const inst=const ; useful, not varied
; CHECK-NEXT: %v: value=active inst=active
; CHECK-NEXT: %y: value=active inst=active
; CHECK-NEXT: call @llvm.memset.p0.i64(%a, i8 0, i64 32, i1 false): inst=active
; CHECK-NEXT: %s: value=active inst=active
; CHECK-NEXT: ret %s: inst=active
