; Type analysis knows the memory behind %idx holds only integers (it is
; read as i32 elsewhere), so a memcpy out of it is not an active
; instruction and the duplicated pointer needs no shadow.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-activity;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

declare void @llvm.memcpy.p0.p0.i64(ptr, ptr, i64, i1)

define double @pick(ptr %x, ptr %idx) {
  %tmp = alloca [4 x i32], align 4
  call void @llvm.memcpy.p0.p0.i64(ptr %tmp, ptr %idx, i64 16, i1 false)
  %k = load i32, ptr %idx, align 4
  %k2 = load i32, ptr %tmp, align 4
  %s = add i32 %k, %k2
  %i = sext i32 %s to i64
  %p = getelementptr inbounds double, ptr %x, i64 %i
  %v = load double, ptr %p, align 8
  ret double %v
}

; CHECK-LABEL: function @pick: default activities
; CHECK-NEXT: request: (%x: dup, %idx: dup) -> active
; CHECK-NEXT: canonical: (%x: dup, %idx: const) -> activenoneed
; CHECK-NEXT: note: %idx: dup -> const: it points to integer-only memory
; CHECK-NEXT: note: return: active -> activenoneed: the request does not return the primal value
; CHECK-NEXT: %x: shadowed
; CHECK-NEXT: %idx: const
; CHECK-NEXT: %tmp: value=const inst=const
; CHECK-NEXT: call @llvm.memcpy.p0.p0.i64(%tmp, %idx, i64 16, i1 false): inst=const
; CHECK-NEXT: %k: value=const inst=const
; CHECK-NEXT: %k2: value=const inst=const
; CHECK-NEXT: %s: value=const inst=const
; CHECK-NEXT: %i: value=const inst=const
; CHECK-NEXT: %p: value=shadowed inst=const
; CHECK-NEXT: %v: value=active inst=active
; CHECK-NEXT: ret %v: inst=active
