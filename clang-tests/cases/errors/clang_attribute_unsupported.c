// An Enzyme attribute ferment does not implement is an error naming it (the clang front end
// registers it rather than letting clang drop it with a warning).
// CFLAGS: -fplugin=@FERMENT_CLANG@
// RUN: clang
// EXPECT-ERROR: enzyme_sparse_accumulate
// EXPECT-ERROR: not supported
double __enzyme_autodiff(void *, ...);
__attribute__((enzyme_sparse_accumulate)) double acc(double x) { return x; }
int main(void) { return (int)__enzyme_autodiff((void *)acc, 1.0); }
