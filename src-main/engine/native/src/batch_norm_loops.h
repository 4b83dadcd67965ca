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
  // affine followed by ReLU in the same pass (as the Relu kernel: y < 0 ? 0 : y, NaN stays NaN)
  void (*affine_relu)(const float* x, const float* scale, const float* shift, Index r0, Index r1, int c, float* y);
  // sums and grad through a ReLU right after the BatchNorm: they read dy * step(y) for the ReLU's
  // output y instead of dy, computed in registers the way the separate ReLU gradient kernel does.
  void (*sums_masked)(const float* dy, const float* y, const float* x, Index r0, Index r1, int c, double* s0, double* s1);
  void (*grad_masked)(const float* dy, const float* y, const float* x, const float* a, const float* b, const float* mean, const float* d,
                      Index r0, Index r1, int c, float* dx);
  // A ResNet block's end in one pass: y = relu((x * scale + shift) + r), the operations of the
  // scale-shift, Add and Relu kernels in their order (same bits as running the three).
  // sums_masked that also writes the masked gradient dy * step(y) to g (a block end's residual gradient).
  void (*sums_masked_emit)(const float* dy, const float* y, const float* x, Index r0, Index r1, int c, double* s0, double* s1, float* g);
  void (*affine_add_relu)(const float* x, const float* scale, const float* shift, const float* r, Index r0, Index r1, int c, float* y);
};

const Loops& loops();

// Rows split into a fixed number of parts (independent of the thread count and of
// scheduling), each with its own float64 partial sums, added in part order.
int parts_for(Index m, int c);

// s0[k] = sum over rows of a[., k]; s1[k] = sum of a[., k] * b[., k] (float64).
void channel_sums(const float* a, const float* b, Index m, int c, double* s0, double* s1);
// The same with a = dy * step(y) (sums_masked).
void channel_sums_masked(const float* dy, const float* y, const float* x, Index m, int c, double* s0, double* s1);
// The same, also writing g = dy * step(y) (sums_masked_emit).
void channel_sums_masked_emit(const float* dy, const float* y, const float* x, Index m, int c, double* s0, double* s1, float* g);

// ReLU's gradient factor: 1 where y > 0, NaN where y is NaN, else 0 (TF.js' Step). Two flat
// selects, so loops over it vectorise (elementwise.cc's ReluGrad is the same expression).
inline float relu_step(float y) {
  const float m = y > 0.0f ? 1.0f : 0.0f;
  return y == y ? m : y;
}

}  // namespace wb::bn
