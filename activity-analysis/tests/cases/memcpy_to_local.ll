; memcpy from shadowed memory into a local: the local gets a shadow (the
; derivative travels with the copy), the memcpy is an active instruction,
; and loads from the local are active.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-activity;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

declare void @llvm.memcpy.p0.p0.i64(ptr, ptr, i64, i1)

define double @copy_sum(ptr %src) {
  %tmp = alloca [2 x double], align 8
  call void @llvm.memcpy.p0.p0.i64(ptr %tmp, ptr %src, i64 16, i1 false)
  %a = load double, ptr %tmp, align 8
  %q = getelementptr inbounds double, ptr %tmp, i64 1
  %b = load double, ptr %q, align 8
  %s = fmul double %a, %b
  ret double %s
}

; CHECK-LABEL: function @copy_sum: default activities
; CHECK-NEXT: request: (%src: dup) -> active
; CHECK-NEXT: canonical: (%src: dup) -> activenoneed
; CHECK-NEXT: note: return: active -> activenoneed: the request does not return the primal value
; CHECK-NEXT: %src: shadowed
; CHECK-NEXT: %tmp: value=shadowed inst=const
; CHECK-NEXT: call @llvm.memcpy.p0.p0.i64(%tmp, %src, i64 16, i1 false): inst=active
; CHECK-NEXT: %a: value=active inst=active
; CHECK-NEXT: %q: value=shadowed inst=const
; CHECK-NEXT: %b: value=active inst=active
; CHECK-NEXT: %s: value=active inst=active
; CHECK-NEXT: ret %s: inst=active
