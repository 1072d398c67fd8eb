// scratch_reread.c under AddressSanitizer + LeakSanitizer: the frees the reverse sweep takes over
// happen exactly once, after the last read (any ASan/LSan report makes the program fail).
// CFLAGS: -fsanitize=address -fno-omit-frame-pointer
#include "scratch_reread.c"

const char *__asan_default_options(void) {
  return "detect_leaks=1:detect_stack_use_after_return=1:halt_on_error=1";
}
