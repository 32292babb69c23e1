// In-place iterative radix-2 FFT, for the round-trip correlation. Not on the audio thread.
#pragma once

#include <complex>
#include <vector>

namespace audio_setup {

// REQUIRES: data.size() is a power of two. inverse=true computes the unscaled inverse.
void fft(std::vector<std::complex<double>>& data, bool inverse);

}  // namespace audio_setup
