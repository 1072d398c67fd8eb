; A byte GEP whose offset is a select of two field offsets (a search tree's
; `&node->left` or `&node->right` at -O2): the result sees what both fields
; agree on, and a pointer stored through it types both fields, without
; smearing the node's layout over neighbouring offsets. (The i32 key is only
; compared, which does not tell an int from float bits: it stays unknown.)
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-types;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define void @insert(ptr %root, ptr %new, i32 %key) {
entry:
  %first = load ptr, ptr %root, align 8
  br label %walk
walk:
  %node = phi ptr [ %first, %entry ], [ %child, %walk ]
  %k = load i32, ptr %node, align 8
  %v = getelementptr inbounds i8, ptr %node, i64 8
  %val = load double, ptr %v, align 8
  %less = icmp slt i32 %key, %k
  %off = select i1 %less, i64 16, i64 24
  %slot = getelementptr inbounds i8, ptr %node, i64 %off
  %child = load ptr, ptr %slot, align 8
  %leaf = icmp eq ptr %child, null
  br i1 %leaf, label %done, label %walk
done:
  store ptr %new, ptr %slot, align 8
  ret void
}

; CHECK-LABEL: function @insert:
; CHECK-NEXT: %root: {[-1]:Pointer, [-1,0]:Pointer, [-1,0,8]:Float@double, [-1,0,16]:Pointer, [-1,0,16,8]:Float@double,
; CHECK: %node: {[-1]:Pointer, [-1,8]:Float@double, [-1,16]:Pointer, [-1,16,8]:Float@double,
; CHECK-SAME: [-1,24]:Pointer, [-1,24,8]:Float@double,
; CHECK-NOT: [-1,32]:
; CHECK: %off: {[-1]:Integer}
; CHECK-NEXT: %slot: {[-1]:Pointer, [-1,0]:Pointer, [-1,0,8]:Float@double,
; CHECK-NOT: conflict
