// An active value stored through a pointer read from a global variable (here a union that
// holds either an address or an integer tag): the memory it points to has no shadow, so the
// derivative would be lost. A compile error names the global and how to give it one.
// EXPECT-ERROR: store_through_global_pointer.c:20
// EXPECT-ERROR: memory whose address is read from the global variable @out_slot
// EXPECT-ERROR: give the global holding the pointer a shadow
double __enzyme_autodiff(void *, ...);
extern int enzyme_out, enzyme_const;

union Slot {
  double *where;
  long tag;
};
union Slot out_slot; // visible to other files: its value is not known here
double result_cell;

double scaled(double a, double k) {
  double r = a * k;
  double s = r * r;
  *out_slot.where = s;
  return r + (double)(out_slot.tag & 1);
}

int main(void) {
  out_slot.where = &result_cell;
  return (int)__enzyme_autodiff((void *)scaled, enzyme_out, 1.0, enzyme_const, 3.0);
}
