// A global pointer variable set before the call (in main) and used by the differentiated
// function to store an active value: its shadow is not known (ferment gives a global pointer a
// shadow only where the function itself sets it right before each read), so this stays a compile
// error, not a null shadow at run time. With `gp = buf;` in `f` it is accepted
// (fuzz/global_pointer_slot.c).
// EXPECT-ERROR: global_pointer_set_outside.c:14
// EXPECT-ERROR: memory whose address is read from the global variable @gp
// EXPECT-ERROR: set it inside the differentiated function
double __enzyme_autodiff(void *, ...);

double buf[4];
double *gp;
double f(double s) {
  gp[1] = s * s;
  return gp[1] * gp[0];
}

int main(void) {
  gp = buf;
  buf[0] = 0.5;
  return (int)__enzyme_autodiff((void *)f, 0.7);
}
