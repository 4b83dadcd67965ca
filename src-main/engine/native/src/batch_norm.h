// BatchNorm training kernels over x [m, c] (channels last), same maths as
// src-main/engine/kernels/batch-norm-kernels.ts: statistics in float64.
#pragma once
#include <cstddef>

namespace wb {

// mean[c], biased variance[c] = max(0, E[x^2] - mean^2) (float64 sums)
void bn_moments(const float* x, std::ptrdiff_t m, int c, float* mean, float* variance);
// y = x * scale[c] + shift[c]; with relu, relu of that (a BatchNorm followed by a ReLU, one pass)
void bn_scale_shift(const float* x, const float* scale, const float* shift, std::ptrdiff_t m, int c, float* y, bool relu = false,
                    const float* residual = nullptr);
// dbeta = sum(dy), dgamma = invstd * (sum(dy*x) - mean*sum(dy)),
// dx = gamma*invstd/m * (m*dy - dbeta - (x - mean)*invstd*dgamma)
// With relu_out (the output of a ReLU right after this BatchNorm), dy is the ReLU's upstream
// gradient and dy * step(relu_out) is used in its place, as if the ReLU's gradient ran first;
// with masked_out too, that masked gradient is also written there (the same bits).
void bn_grad(const float* dy, const float* x, const float* mean, const float* invstd, const float* gamma, std::ptrdiff_t m, int c,
             float* dx, float* dgamma, float* dbeta, const float* relu_out = nullptr, float* masked_out = nullptr);

}  // namespace wb
