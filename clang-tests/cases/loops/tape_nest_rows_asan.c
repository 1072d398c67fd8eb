// tape_nest_rows.c under AddressSanitizer + LeakSanitizer: the tape rows reserved once for a
// whole loop nest must hold every row the nest takes (any ASan/LSan report makes the program exit
// non-zero).
// CFLAGS: -fsanitize=address -fno-omit-frame-pointer
#include "tape_nest_rows.c"
