// CFLAGS: -mllvm -ferment-no-inline
// kept_recursive_factory.c with every callee kept a call: the differentiated function stores
// active values into `top->f` where `top` is the result of the kept `make(N, 3)` (integer
// arguments only); main (session 38) refused at -O0 ("an active value is stored into memory
// ferment cannot track") since nothing asked the call for the shadow of the level it returns.
#include "kept_recursive_factory.c"
