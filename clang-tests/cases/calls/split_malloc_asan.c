// split_malloc.c under AddressSanitizer + LeakSanitizer: the reverse never reads the scratch
// buffer the forward run freed (use after free), the tape is freed once, and nothing leaks.
// CFLAGS: -fsanitize=address -fno-omit-frame-pointer
#include "split_malloc.c"

const char *__asan_default_options(void) {
  return "detect_leaks=1:detect_stack_use_after_return=1:halt_on_error=1";
}
