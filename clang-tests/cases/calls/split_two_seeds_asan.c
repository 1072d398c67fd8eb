// split_two_seeds.c under AddressSanitizer + LeakSanitizer: the tape survives the enzyme_nofree
// reverse calls and is freed exactly once, by the last reverse (any report fails the program).
// CFLAGS: -fsanitize=address -fno-omit-frame-pointer
#include "split_two_seeds.c"

const char *__asan_default_options(void) {
  return "detect_leaks=1:detect_stack_use_after_return=1:halt_on_error=1";
}
