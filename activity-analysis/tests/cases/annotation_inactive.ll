; The enzyme_inactive annotation (clang's __attribute__((annotate(...))),
; recorded in llvm.global.annotations) makes a user function inactive.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-activity;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

@.str = private unnamed_addr constant [16 x i8] c"enzyme_inactive\00", section "llvm.metadata"
@.file = private unnamed_addr constant [4 x i8] c"x.c\00", section "llvm.metadata"
@llvm.global.annotations = appending global [1 x { ptr, ptr, ptr, i32, ptr }] [{ ptr, ptr, ptr, i32, ptr } { ptr @trace, ptr @.str, ptr @.file, i32 3, ptr null }], section "llvm.metadata"

define double @trace(double %v) {
  ret double %v
}

define double @f(double %x) {
  %t = call double @trace(double %x)
  %y = fmul double %x, %x
  ret double %y
}

; CHECK-LABEL: function @trace: default activities
; CHECK-NEXT: request: (%v: active) -> active
; CHECK-NEXT: canonical: (%v: active) -> activenoneed
; CHECK-NEXT: note: return: active -> activenoneed: the request does not return the primal value
; CHECK-NEXT: %v: active
; CHECK-NEXT: ret %v: inst=active

; CHECK-LABEL: function @f: default activities
; CHECK-NEXT: request: (%x: active) -> active
; CHECK-NEXT: canonical: (%x: active) -> activenoneed
; CHECK-NEXT: note: return: active -> activenoneed: the request does not return the primal value
; CHECK-NEXT: %x: active
; CHECK-NEXT: %t: value=const inst=const ; inactive function
; CHECK-NEXT: %y: value=active inst=active
; CHECK-NEXT: ret %y: inst=active
