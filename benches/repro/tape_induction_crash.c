/*
 * Reproducer: clang crashes, nondeterministically (SIGSEGV in
 * LLVMGetIncomingBlock, called from ferment::reverse::tape::induction
 * <- Tape::recompute <- Tape::reload <- ReverseSweep::reverse_memory), while
 * differentiating this forward-kinematics-like loop: each step multiplies
 * the 3x3 matrix of a PARENT slot (index loaded from memory) by a constant
 * matrix into a new slot of a heap buffer.
 *
 * Seen with the plugin built at 2026-11-21 06:25 from uncommitted work in
 * plugin/src/reverse/tape.rs (recompute of induction values), on
 * benches/src/hand.c; the 06:20 build compiled it correctly. Cause:
 * `induction()` (tape.rs) called `incoming()` on an integer value in a loop
 * header without checking that it is a phi; on a non-phi
 * LLVMGetIncomingBlock reads garbage, which sometimes crashes and sometimes
 * returns junk (so a run that compiles must also be checked: main() below
 * compares the gradient with central finite differences).
 * STATUS: fixed in the 06:30 build (induction() now returns None for
 * non-phis); kept as a regression test — it passes 6 of 6 compiles there.
 *
 *   for i in 1 2 3; do clang-22 -O2 -fno-math-errno \
 *       -fpass-plugin=target/release/libferment.so -I runtime/include \
 *       benches/repro/tape_induction_crash.c -o /tmp/r && /tmp/r; done
 */
#include <ferment.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static void matmul3(const double *A, const double *B, double *C) {
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++) C[3 * r + c] = A[3 * r] * B[c] + A[3 * r + 1] * B[3 + c] + A[3 * r + 2] * B[6 + c];
}

__attribute__((noinline)) double fk(long nb, const double *restrict R, const int *restrict parent) {
    double *A = malloc(sizeof(double) * 9 * (nb + 1));
    for (int k = 0; k < 9; k++) A[k] = (k % 4 == 0);
    for (long j = 0; j < nb; j++) {
        long p = parent[j] + 1;
        matmul3(A + 9 * p, R + 9 * j, A + 9 * (j + 1));
    }
    double s = 0;
    for (long j = 0; j < 9 * (nb + 1); j++) s += A[j] * A[j];
    free(A);
    return s;
}

int main(void) {
    enum { NB = 5 };
    int parent[NB] = {-1, 0, 1, 0, 3};
    double R[9 * NB], dR[9 * NB] = {0};
    for (int i = 0; i < 9 * NB; i++) R[i] = 0.3 * sin(1.7 * i + 0.2);
    __enzyme_autodiff((void *)fk, enzyme_const, (long)NB, enzyme_dup, R, dR, enzyme_const, parent);
    double worst = 0;
    for (int i = 0; i < 9 * NB; i++) {
        double h = 1e-6, x = R[i];
        R[i] = x + h;
        double fp = fk(NB, R, parent);
        R[i] = x - h;
        double fm = fk(NB, R, parent);
        R[i] = x;
        worst = fmax(worst, fabs((fp - fm) / (2 * h) - dR[i]));
    }
    printf("max |ferment - FD| = %.3g\n", worst);
    puts(worst < 1e-6 ? "OK" : "WRONG");
    return worst >= 1e-6;
}
