; A duplicated pointer whose memory the function never reads nor writes
; (it is only compared with null) needs no shadow: dup -> const.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-activity;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define double @guarded(ptr %p, double %x) {
  %isnull = icmp eq ptr %p, null
  %r = select i1 %isnull, double 0.0, double %x
  ret double %r
}

; CHECK-LABEL: function @guarded: default activities
; CHECK-NEXT: request: (%p: dup, %x: active) -> active
; CHECK-NEXT: canonical: (%p: const, %x: active) -> activenoneed
; CHECK-NEXT: note: %p: dup -> const: no active instruction reads or writes its memory
; CHECK-NEXT: note: return: active -> activenoneed: the request does not return the primal value
; CHECK-NEXT: %p: const
; CHECK-NEXT: %x: active
; CHECK-NEXT: %isnull: value=const inst=const
; CHECK-NEXT: %r: value=active inst=active
; CHECK-NEXT: ret %r: inst=active
