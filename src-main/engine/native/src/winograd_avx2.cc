#include "winograd_avx2.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "env_switch.h"
#include "gemm.h"
#include "thread_pool.h"
#include "winograd_channels_driver.h"
#include "winograd.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define WB_WINOGRAD_AVX2_X86 1
#include "avx2_transpose.h"
#include "winograd_filter_avx2.h"
#endif

namespace wb {

using Index = std::ptrdiff_t;

namespace {

constexpr int kPositions = 16;  // a transformed tile is 4x4

#ifdef WB_WINOGRAD_AVX2_X86
bool enabled() {
  return switch_on("WORKBENCH_NATIVE_WINOGRAD") && switch_on("WORKBENCH_NATIVE_WINOGRAD_AVX2") && switch_on("WORKBENCH_NATIVE_WINOGRAD_AVX2_CHANNELS");
}

// U[p][c][o] for input channel c (winograd.cc's layout and values): four filters at a time
// (winograd_filter_tile4), the last co % 4 one by one.
__attribute__((target("avx2,fma"))) void transform_filter(const ConvShape& s, const float* w, int c, float* u) {
  const int ci = s.ci, co = s.co;
  float four[kPositions][4];
  int o = 0;
  for (; o + 4 <= co; o += 4) {
    winograd_filter_tile4(w, ci, co, c, o, four);
    for (int p = 0; p < kPositions; p++)
      for (int k = 0; k < 4; k++) u[(static_cast<Index>(p) * ci + c) * co + o + k] = four[p][k];
  }
  float tile[kPositions];
  for (; o < co; o++) {
    winograd_filter_tile(w, ci, co, c, o, tile);
    for (int p = 0; p < kPositions; p++) u[(static_cast<Index>(p) * ci + c) * co + o] = tile[p];
  }
}

// n floats (at most 8) from p, zeros after; plain load when whole.
__attribute__((target("avx2,fma"))) inline __m256 load_first(const float* p, int n) {
  return n >= 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, lanes_avx2(n));
}

// V = B^T d B for the tiles of tile row ty of image n (winograd.cc's input_row, 8 channels per vector):
// position p of tile tx at v[p * vs + tx * ci]. Rows outside x read `zeros`, columns outside it zeros.
__attribute__((target("avx2,fma"))) void input_row(const ConvShape& s, const float* x, int n, int ty, int tiles_x, float* v, Index vs,
                                                  const float* zeros) {
  const int ci = s.ci;
  const float* rows[4];
  for (int i = 0; i < 4; i++) {
    const int iy = 2 * ty - s.pt + i;
    rows[i] = iy >= 0 && iy < s.h ? x + (static_cast<Index>(n) * s.h + iy) * s.w * ci : zeros;
  }
  for (int tx = 0; tx < tiles_x; tx++) {
    float* out = v + static_cast<Index>(tx) * ci;
    const int ix0 = 2 * tx - s.pl;
    for (int c0 = 0; c0 < ci; c0 += 8) {
      const int nc = std::min(8, ci - c0);
      __m256 t[4][4];
      for (int j = 0; j < 4; j++) {
        const int ix = ix0 + j;
        __m256 a[4];
        if (ix >= 0 && ix < s.w) {
          const Index at = static_cast<Index>(ix) * ci + c0;
          for (int i = 0; i < 4; i++) a[i] = load_first(rows[i] + at, nc);
        } else {
          for (int i = 0; i < 4; i++) a[i] = _mm256_setzero_ps();
        }
        t[0][j] = _mm256_sub_ps(a[0], a[2]);
        t[1][j] = _mm256_add_ps(a[1], a[2]);
        t[2][j] = _mm256_sub_ps(a[2], a[1]);
        t[3][j] = _mm256_sub_ps(a[1], a[3]);
      }
      for (int i = 0; i < 4; i++) {
        float* o = out + static_cast<Index>(i * 4) * vs + c0;
        store_first(o, _mm256_sub_ps(t[i][0], t[i][2]), nc);
        store_first(o + vs, _mm256_add_ps(t[i][1], t[i][2]), nc);
        store_first(o + 2 * vs, _mm256_sub_ps(t[i][2], t[i][1]), nc);
        store_first(o + 3 * vs, _mm256_sub_ps(t[i][1], t[i][3]), nc);
      }
    }
  }
}

// Y = A^T M A for the tiles of one tile row (winograd.cc's output_row, 8 channels per vector): position
// p of tile tx at m[p * ms + tx * co]; the two output rows go to out [2, ow, co].
__attribute__((target("avx2,fma"))) void output_row(const ConvShape& s, const float* mt, Index ms, int tiles_x, float* out) {
  const int co = s.co, ow = s.ow;
  for (int tx = 0; tx < tiles_x; tx++) {
    const float* src = mt + static_cast<Index>(tx) * co;
    const bool second = 2 * tx + 1 < ow;
    float* y0 = out + static_cast<Index>(2 * tx) * co;
    float* y1 = y0 + static_cast<Index>(ow) * co;
    for (int c0 = 0; c0 < co; c0 += 8) {
      const int nc = std::min(8, co - c0);
      __m256 r[4][2];
      for (int i = 0; i < 4; i++) {
        const float* q = src + static_cast<Index>(i * 4) * ms + c0;
        const __m256 a0 = load_first(q, nc), a1 = load_first(q + ms, nc);
        const __m256 a2 = load_first(q + 2 * ms, nc), a3 = load_first(q + 3 * ms, nc);
        r[i][0] = _mm256_add_ps(_mm256_add_ps(a0, a1), a2);
        r[i][1] = _mm256_sub_ps(_mm256_sub_ps(a1, a2), a3);
      }
      for (int j = 0; j < 2; j++) {
        if (j == 1 && !second) break;
        store_first(y0 + j * co + c0, _mm256_add_ps(_mm256_add_ps(r[0][j], r[1][j]), r[2][j]), nc);
        store_first(y1 + j * co + c0, _mm256_sub_ps(_mm256_sub_ps(r[1][j], r[2][j]), r[3][j]), nc);
      }
    }
  }
}
#endif

}  // namespace

int winograd_avx2_min_batch(const ConvShape& s) {
  // Measured crossovers (AVX-512 CPU forced to AVX2, one thread, CPU time per call of the unpruned CIFAR
  // ResNet layers, conv-layer-ab.ts --inference, both AVX2 Winograd paths against WORKBENCH_NATIVE_WINOGRAD_AVX2=0):
  //   16 filters (32x32 maps): batch 1 slower (0.075 vs 0.055 ms), batch 2 faster (0.099 vs 0.108), 4: 0.199 vs 0.210;
  //   32 filters (16x16): batch 1 0.052 vs 0.055, batch 2 even to faster (0.102 vs 0.103, 0.103 vs 0.107), 4 faster;
  //   64 filters (8x8): batch 2 slower (0.125 vs 0.100), batch 4 even (0.187 vs 0.188, 0.193 vs 0.192), batch 6
  //   faster (0.209 vs 0.278); batch 32 1.17-1.38x over all three.
  // WORKBENCH_NATIVE_WINOGRAD_AVX2_CHANNELS_MIN_BATCH sets both.
  return switch_threshold("WORKBENCH_NATIVE_WINOGRAD_AVX2_CHANNELS_MIN_BATCH", s.co <= 32 ? 2 : 6);
}

bool winograd_avx2_applies(const ConvShape& s) {
#ifdef WB_WINOGRAD_AVX2_X86
  return enabled() && winograd_shape(s, 12) && s.co % 16 == 0 && s.n >= winograd_avx2_min_batch(s) && std::strcmp(microkernel().name, "avx2") == 0;
#else
  (void)s;
  return false;
#endif
}

// The AVX2 transforms through the channel-vectorised driver winograd.cc uses (winograd_channels_driver.h).
void winograd_avx2_conv2d(const ConvShape& s, const float* x, const float* w, RowSink& sink) {
#ifdef WB_WINOGRAD_AVX2_X86
  winograd_channels_run(
      s, sink, [&](int c, float* u) { transform_filter(s, w, c, u); },
      [&](int n, int ty, int tiles_x, float* v, Index vs, const float* zeros) { input_row(s, x, n, ty, tiles_x, v, vs, zeros); },
      [&](const float* m, Index ms, int tiles_x, float* out) { output_row(s, m, ms, tiles_x, out); });
#else
  (void)s, (void)x, (void)w, (void)sink;
#endif
}

}  // namespace wb
