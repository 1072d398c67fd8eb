; memmove of a variable number of longs: the whole tree of the source flows,
; and nothing float appears.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-types;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define i64 @copy(ptr %dst, ptr %src, i64 %n) {
entry:
  %bytes = shl i64 %n, 3
  call void @llvm.memmove.p0.p0.i64(ptr %dst, ptr %src, i64 %bytes, i1 false)
  %x = load i64, ptr %dst, align 8
  %y = add i64 %x, 1
  %z = mul i64 %y, 3
  ret i64 %z
}
declare void @llvm.memmove.p0.p0.i64(ptr, ptr, i64, i1)

; CHECK-LABEL: function @copy:
; CHECK-NEXT: %dst: {[-1]:Pointer, [-1,0]:Integer}
; CHECK-NEXT: %src: {[-1]:Pointer, [-1,0]:Integer}
; CHECK-NEXT: %n: {}
; CHECK-NEXT: %bytes: {[-1]:Integer}
; CHECK-NEXT: %x: {[-1]:Integer}
; CHECK-NOT: Float
