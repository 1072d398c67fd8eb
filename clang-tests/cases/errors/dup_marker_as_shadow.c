// A duplicated argument followed by a marker where its shadow belongs (the shadow was
// forgotten), and a pointer whose "shadow" is an integer: clear errors at the call, never a
// derivative (found by the malformed-request fuzzer at -O0).
// EXPECT-ERROR: is duplicated (enzyme_dup), but the marker 'enzyme_dup' follows it where its shadow belongs
// EXPECT-ERROR: is a pointer, but its shadow is a
extern int enzyme_dup, enzyme_const;
double __enzyme_fwddiff(void *, ...);
static void g(double *p, double *q, int n) {
  for (int i = 0; i < n; i++)
    q[i] = p[i] * q[i];
}
int main(void) {
  double p[2] = {1, 2}, q[2] = {3, 4}, dq[2] = {1, 0};
  int n = 2;
  __enzyme_fwddiff((void *)g, enzyme_dup, p, enzyme_dup, q, dq, n);
  __enzyme_fwddiff((void *)g, enzyme_dup, p, n, enzyme_dup, q, dq, enzyme_const, n);
  return 0;
}
