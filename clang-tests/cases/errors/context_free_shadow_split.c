// A file that reads the shadows of globals with the context-free __enzyme_shadow(&g, width,
// lane) makes every derivative of that width use them; reverse mode returning the primal (run
// as split mode) does not yet, so it is a compile error rather than a derivative that ignores
// the shadows the program reads.
// EXPECT-ERROR: context_free_shadow_split.c:17
// EXPECT-ERROR: split mode (and reverse mode returning the primal) does not use yet
extern int enzyme_primal_return;
void *__enzyme_shadow(void *, int, int);
typedef struct {
  double primal, dx;
} Both;
Both __enzyme_autodiff(void *, ...);
double gain = 2.0;
static double f(double x) { return gain * x * x; }
int main(void) {
  double *dgain = __enzyme_shadow(&gain, 1, 0);
  Both r = __enzyme_autodiff((void *)f, enzyme_primal_return, 3.0);
  return (int)(r.primal + r.dx + *dgain);
}
