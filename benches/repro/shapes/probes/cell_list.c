/* tree-free cell list: particles binned into cells by floor(x / cutoff) (integer cells from active
 * coordinates), linked lists head/next, pair energy over the 3x3 neighbourhood with a cutoff test,
 * smooth potential (1 - r/rc)^3 / r. 2-D, periodic box. Params: positions (2N). */
#include "common.h"
#define NPART 60
#define L 10.0
#define RC 2.0
#define NC 5
__attribute__((noinline)) double energy(const double *x, int n) {
    int head[NC * NC], *next = malloc(sizeof(int) * n);
    for (int c = 0; c < NC * NC; c++) head[c] = -1;
    for (int i = 0; i < n; i++) {
        double px = x[2 * i] - L * floor(x[2 * i] / L), py = x[2 * i + 1] - L * floor(x[2 * i + 1] / L);
        int cx = (int)(px / RC) % NC, cy = (int)(py / RC) % NC;
        int c = cy * NC + cx;
        next[i] = head[c]; head[c] = i;
    }
    double e = 0;
    for (int cy = 0; cy < NC; cy++) for (int cx = 0; cx < NC; cx++)
        for (int i = head[cy * NC + cx]; i >= 0; i = next[i])
            for (int dy = -1; dy <= 1; dy++) for (int dx = -1; dx <= 1; dx++) {
                int c2 = ((cy + dy + NC) % NC) * NC + (cx + dx + NC) % NC;
                for (int j = head[c2]; j >= 0; j = next[j]) {
                    if (j <= i) continue;
                    double rx = x[2 * i] - x[2 * j], ry = x[2 * i + 1] - x[2 * j + 1];
                    rx -= L * round(rx / L); ry -= L * round(ry / L);
                    double r2 = rx * rx + ry * ry;
                    if (r2 < RC * RC) { double r = sqrt(r2), s = 1 - r / RC; e += s * s * s / r; }
                }
            }
    free(next);
    return e;
}
static double F(const double *x) { return energy(x, NPART); }
int main(void) {
    double x[2 * NPART], g[2 * NPART] = {0};
    for (int i = 0; i < 2 * NPART; i++) x[i] = fmod(fabs(sin(12.9898 * (i + 1)) * 43758.5453), L);
    __enzyme_autodiff((void *)energy, enzyme_dup, x, g, enzyme_const, NPART);
    int bad = check("cells", F, g, x, 2 * NPART, 1e-7, 1e-5);
    double dx[2 * NPART]; for (int i = 0; i < 2 * NPART; i++) dx[i] = cos(1.3 * i + 0.2);
    double df = __enzyme_fwddiff((void *)energy, enzyme_dup, x, dx, enzyme_const, NPART);
    return bad + dotcheck("cells", df, g, dx, 2 * NPART);
}
