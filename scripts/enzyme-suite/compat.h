/* Included before every C/C++ test of Enzyme's suite by run1.sh: what newer tests use and the
 * stored copies of test_utils.h may predate. Ours, not Enzyme's. */
/* Newer copies of test_utils.h declare enzyme_nocache too. */
#ifdef __cplusplus
extern "C"
#endif
    int enzyme_nocache;
#ifndef TEST_EQ
#include <stdio.h>
#include <stdlib.h>
#define TEST_EQ(LHS, RHS)                                                                          \
  {                                                                                                \
    if ((LHS) != (RHS)) {                                                                          \
      fprintf(stderr, "Assertion Failed: [%s = %g] != [%s = %g] at %s:%d\n", #LHS, (double)(LHS), \
              #RHS, (double)(RHS), __FILE__, __LINE__);                                            \
      abort();                                                                                     \
    }                                                                                              \
  };
#endif
