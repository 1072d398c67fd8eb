/* fuzz_path.h: the recording runtime of ferment-fuzz's generated programs.
 *
 * A generated kernel comes in two copies: `f`, which ferment differentiates, and `f_path`, which
 * the oracle runs. In the recording copy every branch, kink (fabs, fmin, ...), integer jump
 * (floor, casts) and single-precision round trip goes through one of the functions below, and
 * each decision is hashed into `path_hash`; finite differences are trusted only where the hash
 * is the same on both sides of the step. `path_frt` also records each float round trip so that
 * fuzz_oracle.h can bound the rounding they add to the dot-product check.
 */
#ifndef FERMENT_FUZZ_PATH_H
#define FERMENT_FUZZ_PATH_H

static unsigned long long path_hash;
static void path_mix(unsigned long long v) { path_hash = (path_hash ^ v) * 1099511628211ULL; }
static int path_br(int c) { path_mix(c ? 2 : 1); return c; }
static int path_bri(int v) { path_mix(0x100000000ULL + (unsigned)v); return v; }
static double path_val(double r) { path_mix((unsigned long long)(long long)r + 3); return r; }
static double path_fabs(double x) { path_br(x < 0.0); return fabs(x); }
static double path_fmin(double a, double b) { path_br(a < b); return fmin(a, b); }
static double path_fmax(double a, double b) { path_br(a > b); return fmax(a, b); }
static double path_fdim(double a, double b) { path_br(a > b); return fdim(a, b); }
static double path_copysign(double a, double b) { path_br(signbit(a)); path_br(signbit(b)); return copysign(a, b); }
static double path_atan2(double y, double x) { path_br(x < 0.0 && y < 0.0); return atan2(y, x); }
static double path_floor(double x) { return path_val(floor(x)); }
static double path_ceil(double x) { return path_val(ceil(x)); }
static double path_round(double x) { return path_val(round(x)); }
static double path_trunc(double x) { return path_val(trunc(x)); }
static double path_fmod(double a, double b) { path_val(trunc(a / b)); return fmod(a, b); }
static double path_remainder(double a, double b) { path_val(rint(a / b)); return remainder(a, b); }
static double path_rint(double x) { return path_val(rint(x)); }
static int path_ilogb(double x) { return path_bri(ilogb(x)); }
#define FRT_MAX 4096
static int frt_n, frt_hit = -1;
static double frt_delta, frt_in[FRT_MAX], frt_out[FRT_MAX];
static double path_frt(double x) {
  double r = (double)(float)x;
  int k = frt_n++;
  if (k < FRT_MAX) { frt_in[k] = x; frt_out[k] = r; }
  return k == frt_hit ? r + frt_delta : r;
}

#endif
