// tree_malloc.c under AddressSanitizer + LeakSanitizer: shadow nodes, shadow pointer stack and
// deferred frees of a malloc'd pointer structure (any ASan/LSan report makes the program fail).
// CFLAGS: -fsanitize=address -fno-omit-frame-pointer
#include "tree_malloc.c"

const char *__asan_default_options(void) {
  return "detect_leaks=1:detect_stack_use_after_return=1:halt_on_error=1";
}
