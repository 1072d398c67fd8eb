; "enzyme_type" attributes (as rustc's autodiff emits them) seed parameters
; and returns of definitions and of external declarations; __enzyme_double
; hints type the memory at a pointer.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-types;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define "enzyme_type"="{[-1]:Integer}" i64 @f(ptr "enzyme_type"="{[-1]:Pointer, [-1,0]:Float@double}" %x, ptr %y, ptr %z) {
  %v = call i64 @ext(ptr %y)
  call void @__enzyme_double(ptr %z, i64 24)
  ret i64 %v
}
declare "enzyme_type"="{[-1]:Integer}" i64 @ext(ptr "enzyme_type"="{[-1]:Pointer, [-1,0]:Float@float}")
declare void @__enzyme_double(ptr, i64)

; CHECK-LABEL: function @f:
; CHECK-NEXT: %x: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NEXT: %y: {[-1]:Pointer, [-1,0]:Float@float}
; CHECK-NEXT: %z: {[-1]:Pointer, [-1,0]:Float@double, [-1,8]:Float@double, [-1,16]:Float@double}
; CHECK-NEXT: %v: {[-1]:Integer}
; CHECK-NEXT: return: {[-1]:Integer}
