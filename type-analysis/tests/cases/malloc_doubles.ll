; A malloc'd buffer filled with doubles in a loop and returned: the call's
; result, the loop pointer and the function's return all hold doubles.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-types;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define ptr @make(i64 %n) {
entry:
  %bytes = shl nuw i64 %n, 3
  %buf = call ptr @malloc(i64 %bytes)
  br label %loop
loop:
  %i = phi i64 [ 0, %entry ], [ %i.next, %loop ]
  %p = getelementptr inbounds double, ptr %buf, i64 %i
  %v = uitofp i64 %i to double
  store double %v, ptr %p, align 8
  %i.next = add i64 %i, 1
  %done = icmp eq i64 %i.next, %n
  br i1 %done, label %exit, label %loop
exit:
  ret ptr %buf
}

define void @release(ptr %p) {
  call void @free(ptr %p)
  ret void
}
declare ptr @malloc(i64)
declare void @free(ptr)

; CHECK-LABEL: function @make:
; CHECK-NEXT: %n: {[-1]:Integer}
; CHECK-NEXT: %bytes: {[-1]:Integer}
; CHECK-NEXT: %buf: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NEXT: %i: {[-1]:Integer}
; CHECK-NEXT: %p: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NEXT: %v: {[-1]:Float@double}
; CHECK: return: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-LABEL: function @release:
; CHECK-NEXT: %p: {[-1]:Pointer}
