// split_malloc_nofree.c under AddressSanitizer + LeakSanitizer: no reverse reads memory that an
// earlier (enzyme_nofree) reverse or the forward run freed, the tape is freed once, no leaks.
// CFLAGS: -fsanitize=address -fno-omit-frame-pointer
#include "split_malloc_nofree.c"

const char *__asan_default_options(void) {
  return "detect_leaks=1:detect_stack_use_after_return=1:halt_on_error=1";
}
