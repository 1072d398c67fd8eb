; struct S { double x; long n; double *p; }: a field load through a byte GEP
; types each field of the struct behind the argument.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-types;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define double @f(ptr %s) {
entry:
  %x = load double, ptr %s, align 8
  %n.addr = getelementptr inbounds i8, ptr %s, i64 8
  %n = load i64, ptr %n.addr, align 8
  %nf = sitofp i64 %n to double
  %p.addr = getelementptr inbounds i8, ptr %s, i64 16
  %p = load ptr, ptr %p.addr, align 8
  %y = load double, ptr %p, align 8
  %m = fmul double %x, %nf
  %r = fadd double %m, %y
  ret double %r
}

; CHECK-LABEL: function @f:
; CHECK-NEXT: %s: {[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Integer, [-1,16]:Pointer, [-1,16,0]:Float@double}
; CHECK-NEXT: %x: {[-1]:Float@double}
; CHECK-NEXT: %n.addr: {[-1]:Pointer, [-1,0]:Integer, [-1,8]:Pointer, [-1,8,0]:Float@double}
; CHECK-NEXT: %n: {[-1]:Integer}
; CHECK-NEXT: %nf: {[-1]:Float@double}
; CHECK-NEXT: %p.addr: {[-1]:Pointer, [-1,0]:Pointer, [-1,0,0]:Float@double}
; CHECK-NEXT: %p: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NEXT: %y: {[-1]:Float@double}
; CHECK: return: {[-1]:Float@double}
; CHECK-NOT: conflict
