; NVPTX kernel: global (addrspace 1) and shared (addrspace 3) pointers,
; thread ids are integers, addrspacecast keeps the tree. The shared array
; global is typed from its IR type: every element ([-1,-1]) a float.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-types;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-p6:32:32-i64:64-i128:128-i256:256-v16:16-v32:32-n16:32:64"
target triple = "nvptx64-nvidia-cuda"

@tile = internal addrspace(3) global [32 x float] undef, align 4

define void @scale(ptr addrspace(1) %out, ptr addrspace(1) %in, float %a) {
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %idx = zext i32 %tid to i64
  %src = getelementptr inbounds float, ptr addrspace(1) %in, i64 %idx
  %x = load float, ptr addrspace(1) %src, align 4
  %slot = getelementptr inbounds [32 x float], ptr addrspace(3) @tile, i64 0, i64 %idx
  store float %x, ptr addrspace(3) %slot, align 4
  %generic = addrspacecast ptr addrspace(1) %out to ptr
  %dst = getelementptr inbounds float, ptr %generic, i64 %idx
  %y = fmul float %x, %a
  store float %y, ptr %dst, align 4
  ret void
}
declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()

; CHECK-LABEL: function @scale:
; CHECK-NEXT: %out: {[-1]:Pointer, [-1,0]:Float@float}
; CHECK-NEXT: %in: {[-1]:Pointer, [-1,0]:Float@float}
; CHECK-NEXT: %a: {[-1]:Float@float}
; CHECK-NEXT: %tid: {[-1]:Integer}
; CHECK-NEXT: %idx: {[-1]:Integer}
; CHECK-NEXT: %src: {[-1]:Pointer, [-1,0]:Float@float}
; CHECK-NEXT: %x: {[-1]:Float@float}
; CHECK-NEXT: %slot: {[-1]:Pointer, [-1,-1]:Float@float}
; CHECK-NEXT: %generic: {[-1]:Pointer, [-1,0]:Float@float}
; CHECK-NEXT: %dst: {[-1]:Pointer, [-1,0]:Float@float}
