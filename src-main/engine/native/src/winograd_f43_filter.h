// The F(4x4, 3x3) filter transform both F(4x4) paths for pruned widths share (winograd_f43_pruned.cc on
// AVX-512, winograd_f43_pruned_avx2.cc on AVX2): one U, so the two paths can give the same bits.
#pragma once

#include <cstddef>

namespace wb {

constexpr int kF43Positions = 36;  // a transformed tile is 6x6

// U = G g G^T for filter o and input channel c, in double, rounded once: u[i * 6 + j]. Multiplies by
// the double reciprocals (double divisions made the transform the per-call cost that decided the
// small-batch crossover); their relative error, ~1e-16, is far below the one float rounding.
inline void winograd_f43_filter_tile(const float* w, int ci, int co, int c, int o, float u[kF43Positions]) {
  const auto g6 = [](double a, double b, double e, double r[6]) {
    constexpr double sixth = 1.0 / 6, twelfth = 1.0 / 12, twentyfourth = 1.0 / 24;
    r[0] = a * 0.25;
    r[1] = -(a + b + e) * sixth;
    r[2] = -(a - b + e) * sixth;
    r[3] = a * twentyfourth + b * twelfth + e * sixth;
    r[4] = a * twentyfourth - b * twelfth + e * sixth;
    r[5] = e;
  };
  double t[3][6];  // (G g)^T: t[j][i]
  for (int j = 0; j < 3; j++) {
    const auto at = [&](int i) { return static_cast<double>(w[(static_cast<std::ptrdiff_t>(i * 3 + j) * ci + c) * co + o]); };
    g6(at(0), at(1), at(2), t[j]);
  }
  for (int i = 0; i < 6; i++) {
    double r[6];
    g6(t[0][i], t[1][i], t[2][i], r);
    for (int j = 0; j < 6; j++) u[i * 6 + j] = static_cast<float>(r[j]);
  }
}

}  // namespace wb
