; memcpy of 16 bytes from a buffer of doubles: the destination learns the
; doubles of the source (both ways), within the copied length only: the
; int at offset 16 (an i32 added to: narrower than a pointer) is not copied.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-types;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define double @copy(ptr %dst, ptr %src) {
entry:
  %a = load double, ptr %src, align 8
  %b.p = getelementptr inbounds i8, ptr %src, i64 8
  %b = load double, ptr %b.p, align 8
  %c.p = getelementptr inbounds i8, ptr %src, i64 16
  %c = load i32, ptr %c.p, align 8
  %c1 = add i32 %c, 1
  call void @llvm.memcpy.p0.p0.i64(ptr %dst, ptr %src, i64 16, i1 false)
  %s = fadd double %a, %b
  ret double %s
}
declare void @llvm.memcpy.p0.p0.i64(ptr, ptr, i64, i1)

; CHECK-LABEL: function @copy:
; CHECK-NEXT: %dst: {[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Float@double}
; CHECK-NEXT: %src: {[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Float@double, [-1,16]:Integer}
