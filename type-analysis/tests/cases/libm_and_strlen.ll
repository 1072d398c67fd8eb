; Known library functions: libm takes and returns floats (and frexp's
; exponent is an int*, modf's second argument a double*), strlen reads
; a C string, printf's format is a string.
; RUN: opt-22 -load-pass-plugin=%plugin -passes='print<ferment-types;all>' -disable-output %s 2>&1 | FileCheck-22 %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

@fmt = private constant [4 x i8] c"%g\0A\00"

define double @calls(double %x, ptr %e, ptr %ip, ptr %s) {
  %m = call double @frexp(double %x, ptr %e)
  %f = call double @modf(double %m, ptr %ip)
  %c = call double @cos(double %f)
  %n = call i64 @strlen(ptr %s)
  %k = call i32 (ptr, ...) @printf(ptr @fmt, double %c)
  ret double %c
}
declare double @frexp(double, ptr)
declare double @modf(double, ptr)
declare double @cos(double)
declare i64 @strlen(ptr)
declare i32 @printf(ptr, ...)

; CHECK-LABEL: function @calls:
; CHECK-NEXT: %x: {[-1]:Float@double}
; CHECK-NEXT: %e: {[-1]:Pointer, [-1,0]:Integer}
; CHECK-NEXT: %ip: {[-1]:Pointer, [-1,0]:Float@double}
; CHECK-NEXT: %s: {[-1]:Pointer, [-1,-1]:Integer}
; CHECK-NEXT: %m: {[-1]:Float@double}
; CHECK-NEXT: %f: {[-1]:Float@double}
; CHECK-NEXT: %c: {[-1]:Float@double}
; CHECK-NEXT: %n: {[-1]:Integer}
; CHECK-NEXT: %k: {[-1]:Integer}
