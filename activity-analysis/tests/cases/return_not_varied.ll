; An active return that depends on no active input needs no seed: the
; function returns the element count as a double, so the return
; canonicalizes to constnoneed and the duplicated array, read only for
; nothing that matters, to const.
; MODE: requests
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-activity>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

declare double @__enzyme_autodiff(...)

define double @count(ptr %x, i32 %n) {
  %v = load double, ptr %x, align 8
  %c = fcmp ogt double %v, 0.0
  %n1 = select i1 %c, i32 %n, i32 0
  %r = sitofp i32 %n1 to double
  ret double %r
}

define void @caller(ptr %x, ptr %dx, i32 %n) {
  %d = call double (...) @__enzyme_autodiff(ptr @count, ptr %x, ptr %dx, i32 %n)
  ret void
}

; CHECK-LABEL: function @count: __enzyme_autodiff
; CHECK-NEXT: request: (%x: dup, %n: const) -> active
; CHECK-NEXT: canonical: (%x: const, %n: const) -> constnoneed
; CHECK-NEXT: note: %x: dup -> const: no active instruction reads or writes its memory
; CHECK-NEXT: note: return: active -> constnoneed: the request does not return the primal value; the return value depends on no active input
; CHECK-NEXT: %x: const
; CHECK-NEXT: %n: const
; CHECK-NEXT: %v: value=const inst=const
; CHECK-NEXT: %c: value=const inst=const
; CHECK-NEXT: %n1: value=const inst=const
; CHECK-NEXT: %r: value=const inst=const
; CHECK-NEXT: ret %r: inst=const
