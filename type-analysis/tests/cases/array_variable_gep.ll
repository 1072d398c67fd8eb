; Variable-index GEPs: through a pointer of unknown extent every element looks like
; element 0 (x[i]); into an array of known length ([4 x double]) the index may be any
; element, so all four are typed; the index is an integer.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-types;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define void @axpy(ptr %x, ptr %y, double %a, i64 %n) {
entry:
  br label %loop
loop:
  %i = phi i64 [ 0, %entry ], [ %i.next, %loop ]
  %xi.p = getelementptr inbounds double, ptr %x, i64 %i
  %xi = load double, ptr %xi.p, align 8
  %yi.p = getelementptr inbounds [4 x double], ptr %y, i64 0, i64 %i
  %yi = load double, ptr %yi.p, align 8
  %t = call double @llvm.fmuladd.f64(double %a, double %xi, double %yi)
  store double %t, ptr %yi.p, align 8
  %i.next = add nuw i64 %i, 1
  %done = icmp eq i64 %i.next, %n
  br i1 %done, label %exit, label %loop
exit:
  ret void
}
declare double @llvm.fmuladd.f64(double, double, double)

; CHECK-LABEL: function @axpy:
; CHECK-NEXT: %x: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NEXT: %y: {[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Float@double, [-1,16]:Float@double, [-1,24]:Float@double}
; CHECK-NEXT: %a: {[-1]:Float@double}
; CHECK-NEXT: %n: {[-1]:Integer}
; CHECK-NEXT: %i: {[-1]:Integer}
; CHECK-NEXT: %xi.p: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NEXT: %xi: {[-1]:Float@double}
; CHECK-NEXT: %yi.p: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK: %i.next: {[-1]:Integer}
; CHECK-NEXT: %done: {[-1]:Integer}
