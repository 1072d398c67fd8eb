// scratch_calloc.c under AddressSanitizer + LeakSanitizer: the derivative's shadow allocations, deferred
// frees, tape buffers and shadow memcpy/memset must make no invalid access and leak nothing
// (any ASan/LSan report makes the program exit non-zero).
// CFLAGS: -fsanitize=address -fno-omit-frame-pointer
#include "scratch_calloc.c"

const char *__asan_default_options(void) {
  return "detect_leaks=1:detect_stack_use_after_return=1:halt_on_error=1";
}
