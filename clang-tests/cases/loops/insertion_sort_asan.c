// insertion_sort.c under AddressSanitizer + LeakSanitizer: tape buffers grown and indexed by the loop
// counters must stay in bounds and be freed (any ASan/LSan report makes the program exit non-zero).
// CFLAGS: -fsanitize=address -fno-omit-frame-pointer
#include "insertion_sort.c"

const char *__asan_default_options(void) {
  return "detect_leaks=1:detect_stack_use_after_return=1:halt_on_error=1";
}
