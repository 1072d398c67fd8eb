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
 * ferment differentiates the loop as written, through every iteration: the
 * derivative is exactly that of the computed program (for a converged
 * iteration, the derivative of the fixed point up to the convergence
 * tolerance). The markers are accepted and read for their arguments only;
 * the reduction, iteration limit and control function have no effect.
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
