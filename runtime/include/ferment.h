/*
 * ferment.h — what C and C++ programs include to ask ferment for derivatives.
 *
 * ferment is an LLVM pass plugin: build with
 *     clang-22 -O2 -fpass-plugin=/path/to/libferment.so -I runtime/include x.c -lm
 * and every call to a function whose name CONTAINS `__enzyme_autodiff` or
 * `__enzyme_fwddiff` is replaced by a call to a generated derivative.
 * The interface is Enzyme's, unchanged, so code written for Enzyme compiles too.
 *
 * Calling convention (see README.md for the full summary):
 *   __enzyme_autodiff((void*)f, args...)   reverse mode
 *   __enzyme_fwddiff((void*)f, args...)    forward (tangent) mode
 * Each parameter of f consumes call arguments. Without a marker:
 *   - floating-point: reverse mode: ACTIVE (its derivative is returned);
 *                     forward mode: DUPLICATED (the next argument is its tangent);
 *   - pointer:        DUPLICATED, the next argument is its shadow;
 *   - integer:        constant.
 * A marker written before an argument overrides that:
 *   enzyme_const  x        no derivative for x
 *   enzyme_out    x        active scalar, derivative returned (reverse)
 *   enzyme_dup    p, dp    primal followed by its shadow
 *   enzyme_dupnoneed p, dp only the shadow is needed afterwards
 * Results:
 *   - reverse mode seeds the derivative of a floating-point return with 1.0
 *     and returns the derivatives of the active scalars, in order: one of
 *     them -> that value; several -> a struct of them (declare a prototype
 *     with that struct as return type, see below);
 *   - derivatives flowing into shadow memory are ADDED (d[i] += ...):
 *     zero your shadows before the call;
 *   - forward mode returns the tangent of the return value.
 *
 * Declaring your own prototype. The variadic declarations below return
 * double. For any other signature declare your own function whose name
 * contains the entry-point name (a suffix is enough), e.g.
 *     typedef struct { double dx, dy, dz; } grad3;
 *     grad3 __enzyme_autodiff_grad3(void *, double, double, double);
 *
 * float caveat: C varargs promote `float` to `double`, so a float scalar
 * passed to the variadic __enzyme_autodiff arrives as a double and no
 * longer matches f's parameter. For float scalars declare a non-variadic
 * prototype:
 *     float __enzyme_autodiff_f(void *, float);
 *
 * Markers are only declared here; nothing defines them. The plugin removes
 * every reference to them while lowering a request, so a program built
 * WITHOUT the plugin fails to link (undefined enzyme_dup, __enzyme_autodiff).
 *
 * Define FERMENT_NO_ENTRY_DECLARATIONS before including this header to get
 * the markers only (when your code declares __enzyme_autodiff itself with
 * an incompatible prototype).
 */
#ifndef FERMENT_H
#define FERMENT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- per-argument markers ---------------------------------------------- */
extern int enzyme_dup;        /* primal, then shadow                         */
extern int enzyme_dupnoneed;  /* shadow only; primal result unspecified      */
extern int enzyme_out;        /* active scalar, derivative returned          */
extern int enzyme_const;      /* no derivative                               */
extern int enzyme_dupv;       /* batched: byte stride, then base shadow      */
extern int enzyme_dupnoneedv; /* batched, shadow only                        */
extern int enzyme_byref;      /* followed by a size N                        */
extern int enzyme_not_overwritten;
extern int enzyme_struct_value; /* the next argument is a whole struct passed
                                  by value (then its whole shadow struct)  */

/* ---- whole-call markers ------------------------------------------------- */
extern int enzyme_width;          /* batch width N (a constant)              */
extern int enzyme_scalar;         /* __enzyme_batch argument kinds           */
extern int enzyme_vector;
extern int enzyme_buffer;
extern int enzyme_primal_return;  /* also return the primal                  */
extern int enzyme_const_return;
extern int enzyme_active_return;
extern int enzyme_dup_return;
extern int enzyme_noret;
extern int enzyme_tape;           /* tape in user memory                     */
extern int enzyme_allocated;      /* followed by the tape size N             */
extern int enzyme_nofree;
extern int enzyme_runtime_activity;
extern int enzyme_context;        /* followed by a global-shadow context     */

#ifndef FERMENT_NO_ENTRY_DECLARATIONS
/* ---- entry points ------------------------------------------------------- */
double __enzyme_autodiff(void *fn, ...);
double __enzyme_fwddiff(void *fn, ...);
/* global-shadow contexts: see the README */
void *__enzyme_context(int width);
void *__enzyme_shadow(void *context, void *address_in_a_global, int lane);
void __enzyme_zero_shadows(void *context);
#endif

/* ---- type hints: what the memory at ptr holds (size bytes) ------------- */
void __enzyme_float(void *ptr, size_t size);
void __enzyme_double(void *ptr, size_t size);
void __enzyme_integer(void *ptr, size_t size);
void __enzyme_pointer(void *ptr, size_t size);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* FERMENT_H */
