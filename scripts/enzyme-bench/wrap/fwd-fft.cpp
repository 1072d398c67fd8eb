// ForwardMode/fft: the same program as ReverseMode/fft (its Enzyme call is __enzyme_autodiff
// of foobar = ifft(fft(data))), driven as rev-fft is.
#include "wrap/rev-fft.cpp"
