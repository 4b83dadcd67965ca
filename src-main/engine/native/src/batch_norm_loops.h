// The row loops the BatchNorm kernels share, compiled per ISA (the variant matching the GEMM
// microkernel runs), and the deterministic per-channel float64 sums.
#pragma once
#include <cstddef>

namespace wb::bn {

using Index = std::ptrdiff_t;

struct Loops {
  void (*sums)(const float* a, const float* b, Index r0, Index r1, int c, double* s0, double* s1);
  void (*affine)(const float* x, const float* scale, const float* shift, Index r0, Index r1, int c, float* y);
  // dx = a*dy + b*(x - mean) + d per channel
  void (*grad)(const float* dy, const float* x, const float* a, const float* b, const float* mean, const float* d, Index r0, Index r1,
               int c, float* dx);
};

const Loops& loops();

// Rows split into a fixed number of parts (independent of the thread count and of
// scheduling), each with its own float64 partial sums, added in part order.
int parts_for(Index m, int c);

// s0[k] = sum over rows of a[., k]; s1[k] = sum of a[., k] * b[., k] (float64).
void channel_sums(const float* a, const float* b, Index m, int c, double* s0, double* s1);

}  // namespace wb::bn
