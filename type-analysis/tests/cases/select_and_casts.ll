; select joins both operands (and flows back into them); sext/zext are
; integers; fptosi results and sitofp operands are integers; freeze keeps
; the tree.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-types;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define double @pick(i1 %c, ptr %a, ptr %b, i32 %k, double %x) {
  %p = select i1 %c, ptr %a, ptr %b
  %v = load double, ptr %p, align 8
  %w = zext i32 %k to i64
  %q = getelementptr inbounds double, ptr %b, i64 %w
  %t = fptosi double %x to i32
  %u = sitofp i64 %w to double
  %fr = freeze ptr %a
  %y = fadd double %v, %u
  ret double %y
}

; CHECK-LABEL: function @pick:
; CHECK-NEXT: %c: {[-1]:Integer}
; CHECK-NEXT: %a: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NEXT: %b: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NEXT: %k: {[-1]:Integer}
; CHECK-NEXT: %x: {[-1]:Float@double}
; CHECK-NEXT: %p: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NEXT: %v: {[-1]:Float@double}
; CHECK-NEXT: %w: {[-1]:Integer}
; CHECK-NEXT: %q: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NEXT: %t: {[-1]:Integer}
; CHECK-NEXT: %u: {[-1]:Float@double}
; CHECK-NEXT: %fr: {[-1]:Pointer, [-1,0]:Float@double}
