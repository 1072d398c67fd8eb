// split_loop.c under AddressSanitizer + LeakSanitizer: the loop caches on the tape are read in
// bounds and freed by the reverse calls (any report fails the program).
// CFLAGS: -fsanitize=address -fno-omit-frame-pointer
#include "split_loop.c"

const char *__asan_default_options(void) {
  return "detect_leaks=1:detect_stack_use_after_return=1:halt_on_error=1";
}
