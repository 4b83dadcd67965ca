// winograd_filter_tile (winograd.cc) for 4 consecutive filters at once on AVX2: the same double
// operations in the same order, each rounded once to float (vcvtpd2ps rounds to nearest, as the
// scalar cast), so the same U bits; the per-call filter transform of the AVX2 Winograd paths weighed
// about a fifth of a stage-3 layer (64 x 64 filters against 16 tiles per image) when done one filter
// at a time.
#pragma once

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#include <cstddef>

namespace wb {

// u[p][k] = U position p of filter o0 + k (k < 4) for input channel c of the TF.js filter w [3, 3, ci, co].
__attribute__((target("avx2,fma"))) inline void winograd_filter_tile4(const float* w, int ci, int co, int c, int o0, float u[16][4]) {
  const __m256d half = _mm256_set1_pd(0.5);
  __m256d t[4][3];  // G g
  for (int j = 0; j < 3; j++) {
    const auto at = [&](int i) { return w + (static_cast<std::ptrdiff_t>(i * 3 + j) * ci + c) * co + o0; };
    const __m256d a = _mm256_cvtps_pd(_mm_loadu_ps(at(0))), b = _mm256_cvtps_pd(_mm_loadu_ps(at(1))), e = _mm256_cvtps_pd(_mm_loadu_ps(at(2)));
    t[0][j] = a;
    t[1][j] = _mm256_mul_pd(_mm256_add_pd(_mm256_add_pd(a, b), e), half);
    t[2][j] = _mm256_mul_pd(_mm256_add_pd(_mm256_sub_pd(a, b), e), half);
    t[3][j] = e;
  }
  for (int i = 0; i < 4; i++) {
    const __m256d a = t[i][0], b = t[i][1], e = t[i][2];
    _mm_storeu_ps(u[i * 4 + 0], _mm256_cvtpd_ps(a));
    _mm_storeu_ps(u[i * 4 + 1], _mm256_cvtpd_ps(_mm256_mul_pd(_mm256_add_pd(_mm256_add_pd(a, b), e), half)));
    _mm_storeu_ps(u[i * 4 + 2], _mm256_cvtpd_ps(_mm256_mul_pd(_mm256_add_pd(_mm256_sub_pd(a, b), e), half)));
    _mm_storeu_ps(u[i * 4 + 3], _mm256_cvtpd_ps(e));
  }
}

}  // namespace wb
#endif
