; Heap memory that receives an active value gets a shadow: the malloc is a
; constant instruction with a shadowed value (allocating the shadow is not
; derivative work), the store and the reload are active, free is constant.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-activity;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

declare ptr @malloc(i64)
declare void @free(ptr)

define double @heap(double %x) {
  %buf = call ptr @malloc(i64 16)
  %y = fmul double %x, %x
  store double %y, ptr %buf, align 8
  %q = getelementptr inbounds double, ptr %buf, i64 1
  store double 1.0, ptr %q, align 8
  %a = load double, ptr %buf, align 8
  %b = load double, ptr %q, align 8
  %s = fadd double %a, %b
  call void @free(ptr %buf)
  ret double %s
}

; CHECK-LABEL: function @heap: default activities
; CHECK-NEXT: request: (%x: active) -> active
; CHECK-NEXT: canonical: (%x: active) -> activenoneed
; CHECK-NEXT: note: return: active -> activenoneed: the request does not return the primal value
; CHECK-NEXT: %x: active
; CHECK-NEXT: %buf: value=shadowed inst=const
; CHECK-NEXT: %y: value=active inst=active
; CHECK-NEXT: store %y, %buf: inst=active
; CHECK-NEXT: %q: value=shadowed inst=const
; CHECK-NEXT: store double 1.000000e+00, %q: inst=active
; CHECK-NEXT: %a: value=active inst=active
; CHECK-NEXT: %b: value=active inst=active
; CHECK-NEXT: %s: value=active inst=active
; CHECK-NEXT: call @free(%buf): inst=const
; CHECK-NEXT: ret %s: inst=active
