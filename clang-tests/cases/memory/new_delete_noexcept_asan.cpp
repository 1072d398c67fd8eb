// new_delete_noexcept.cpp under AddressSanitizer + LeakSanitizer (new/delete mismatches, leaks of
// shadow allocations, use after delete in the reverse sweep all make the program fail).
// CFLAGS: -fno-exceptions -fsanitize=address -fno-omit-frame-pointer
#include "new_delete_noexcept.cpp"

extern "C" const char *__asan_default_options() {
  return "detect_leaks=1:detect_stack_use_after_return=1:halt_on_error=1:new_delete_type_mismatch=1";
}
