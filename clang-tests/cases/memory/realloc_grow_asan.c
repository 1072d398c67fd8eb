// The realloc_grow case under AddressSanitizer and LeakSanitizer.
// CFLAGS: -fsanitize=address -fno-omit-frame-pointer
#include "realloc_grow.c"
