; memmove(h + 8, h, n) of runtime length within one buffer: the memory
; repeats every 8 bytes, so only one period moves; the buffer stays
; {[-1,0]:Float@double} instead of growing by 8 bytes per round.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-types;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define double @shift(ptr %h, i64 %n) {
  %x = load double, ptr %h, align 8
  %dst = getelementptr inbounds i8, ptr %h, i64 8
  %bytes = shl i64 %n, 3
  call void @llvm.memmove.p0.p0.i64(ptr %dst, ptr %h, i64 %bytes, i1 false)
  ret double %x
}
declare void @llvm.memmove.p0.p0.i64(ptr, ptr, i64, i1)

; CHECK-LABEL: function @shift:
; CHECK-NEXT: %h: {[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Float@double}
; CHECK-NEXT: %n: {}
; CHECK-NEXT: %x: {[-1]:Float@double}
; CHECK-NEXT: %dst: {[-1]:Pointer, [-1,0]:Float@double}
