/* ferment: Enzyme's fixed-point loop interface (enzyme/fixed_point.h).
 *
 *   __enzyme_fixed_point(step, enzyme_fp_state, z, bytes,
 *                        [enzyme_fp_reduction, r,] [enzyme_fp_max_iters, n,]
 *                        [enzyme_fp_control, control,]
 *                        [enzyme_checkpoint_region, p, bytes,]... args...);
 *
 * runs `int64_t i = 0; while (step(i++, args...));`. Inside a loop written
 * by hand, `__enzyme_set_fixed_point(reduction, max_iters, control, state,
 * bytes, ...)` marks the loop the same way.
 *
 * Forward mode (one enzyme_fp_state): the loop runs to its end, then the
 * tangent of one step is iterated at the final state, from zero, restoring
 * the primal state after each pass, until the squared 2-norm of the change
 * of the state's tangent is at most `reduction` (default 1e-12) times its
 * value after the first pass, grows again after five passes, or
 * `max_iters` passes (default 1000; 0: no limit) have run. A control
 * function `int control(double *cumul, double *reduction)` decides instead
 * (Tapenade's protocol): called with *cumul = -1 before the first pass and
 * with the squared norm after each, it returns whether to go on.
 *
 * Reverse mode (one enzyme_fp_state): the loop runs to its end, then the
 * adjoint of one step is iterated at the final state: each pass maps the
 * state's adjoint term t to phi_z^T t and adds phi_x^T t to the other
 * arguments' adjoints, stopping by the same rules (the squared norm of the
 * next term against its value after the first pass, max_iters, or the
 * control function); the initial guess gets no adjoint.
 *
 * With several states (and reverse mode with enzyme_width) the loop is
 * differentiated as written, through every iteration; the reduction, limit
 * and control function have no effect there, and the compiler warns.
 */
#ifndef FERMENT_ENZYME_FIXED_POINT_H
#define FERMENT_ENZYME_FIXED_POINT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

extern int enzyme_fp_state;
extern int enzyme_fp_reduction;
extern int enzyme_fp_max_iters;
extern int enzyme_fp_control;
extern int enzyme_checkpoint_region;

void __enzyme_fixed_point(void *step, ...);
void __enzyme_set_fixed_point(double reduction, int64_t max_iters, void *control, ...);

#ifdef __cplusplus
}
#endif

#endif
