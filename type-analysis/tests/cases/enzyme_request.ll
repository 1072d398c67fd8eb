; MODE: requests
; The default printer mode: only functions reached from an __enzyme_*
; request (and what they call) are printed. The request's arguments map to
; the parameters through the markers (enzyme_const, enzyme_dup, defaults),
; so the caller's malloc'd buffers and the shadow share the parameter's tree.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-types>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

@enzyme_const = external global i32
@enzyme_dup = external global i32

define internal double @square_sum(ptr %x, i64 %n, ptr %w) {
  %a = load double, ptr %x, align 8
  %b = call double @helper(double %a)
  ret double %b
}

define internal double @helper(double %v) {
  %r = fmul double %v, %v
  ret double %r
}

define void @unrelated(ptr %p) {
  store i32 1, ptr %p, align 4
  ret void
}

define double @main_like(ptr %xs, ptr %dxs) {
  %ws = call ptr @malloc(i64 64)
  store float 0.0, ptr %ws, align 4
  %c = load i32, ptr @enzyme_const, align 4
  %r = call double (ptr, ...) @__enzyme_autodiff(ptr @square_sum, ptr %xs, ptr %dxs, i32 %c, i64 8, ptr @enzyme_dup, ptr %ws, ptr %ws)
  ret double %r
}

declare double @__enzyme_autodiff(ptr, ...)
declare ptr @malloc(i64)

; CHECK-LABEL: function @square_sum:
; CHECK-NEXT: %x: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NEXT: %n: {}
; CHECK-NEXT: %w: {[-1]:Pointer, [-1,0]:Float@float}
; CHECK-LABEL: function @helper:
; CHECK-NEXT: %v: {[-1]:Float@double}
; CHECK-NOT: function @unrelated
; CHECK-NOT: function @main_like
