// split_calls.c under AddressSanitizer + LeakSanitizer: no sub-tape is freed by the
// enzyme_nofree reverse, all are freed by the last one (any report fails the program).
// CFLAGS: -fsanitize=address -fno-omit-frame-pointer -mllvm -ferment-no-inline
#include "split_calls.c"

const char *__asan_default_options(void) {
  return "detect_leaks=1:detect_stack_use_after_return=1:halt_on_error=1";
}
