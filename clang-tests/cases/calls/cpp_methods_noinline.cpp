// cpp_methods.cpp with -ferment-no-inline: methods, template instances and the lambda's
// operator() stay calls wherever clang did not inline them.
// CFLAGS: -mllvm -ferment-no-inline
#include "cpp_methods.cpp"
