// An active value stored through a pointer read from a global variable (a union of a pointer
// and an integer, as in Enzyme's notypeanalysis test): the memory it points to has no shadow,
// so the derivative would be lost. A compile error names the global and how to give it one.
// EXPECT-ERROR: store_through_global_pointer.c:19
// EXPECT-ERROR: memory whose address is read from the global variable @dPtr
// EXPECT-ERROR: give the global holding the pointer a shadow
double __enzyme_autodiff(void *, ...);
extern int enzyme_out, enzyme_const;

union DoublePtr {
  long addrInt;
  double *ptr;
};
union DoublePtr dPtr; // visible to other files: its value is not known here
double sink;

double divide(double x, double y) {
  double tmp = x / y;
  *dPtr.ptr = x;
  return tmp + dPtr.addrInt;
}

int main(void) {
  dPtr.ptr = &sink;
  return (int)__enzyme_autodiff((void *)divide, enzyme_out, 1.0, enzyme_const, 3.0);
}
