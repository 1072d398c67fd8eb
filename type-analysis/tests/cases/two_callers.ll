; One callee used with two different argument types: the analysis is
; context-insensitive, so the pointee types meet in the callee and the
; clash is reported where it shows (Enzyme analyzes such a callee once per
; call context; see issue 3's notes).
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-types;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define internal void @zero8(ptr %p) {
  call void @llvm.memset.p0.i64(ptr %p, i8 0, i64 8, i1 false)
  ret void
}

define void @a(ptr %d) {
  store double 1.0, ptr %d, align 8
  call void @zero8(ptr %d)
  ret void
}

define void @b(ptr %i) {
  store i64 7, ptr %i, align 8
  %v = load i64, ptr %i, align 8
  %w = mul i64 %v, 2
  call void @zero8(ptr %i)
  ret void
}
declare void @llvm.memset.p0.i64(ptr, i8, i64, i1)

; CHECK-LABEL: function @zero8:
; CHECK-NEXT: %p: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-LABEL: function @a:
; CHECK-NEXT: %d: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-LABEL: function @b:
; CHECK: conflict: type conflict for %i at [-1,0]: Float@double vs Integer (from `%v = load i64, ptr %i, align 8`)
