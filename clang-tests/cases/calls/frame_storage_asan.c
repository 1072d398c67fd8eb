// frame_storage.c under AddressSanitizer + LeakSanitizer: callee frames in the caller's stack,
// frame and (growing, moving) tape rows stay in bounds, heap frames are freed exactly once.
// CFLAGS: -fsanitize=address -fno-omit-frame-pointer -mllvm -ferment-no-inline
#include "frame_storage.c"

const char *__asan_default_options(void) {
  return "detect_leaks=1:detect_stack_use_after_return=1:halt_on_error=1";
}
