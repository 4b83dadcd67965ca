#include "winograd.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "env_switch.h"
#include "gemm.h"
#include "thread_pool.h"
#include "winograd_channels_driver.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define WB_WINOGRAD_X86 1
#include <immintrin.h>
#endif

namespace wb {

using Index = std::ptrdiff_t;

namespace {

constexpr int kPositions = 16;  // a transformed tile is 4x4

bool enabled() { return switch_on("WORKBENCH_NATIVE_WINOGRAD"); }

// U[p][c][o] for input channels [c0, c1).
void transform_filter(const ConvShape& s, const float* w, int c0, int c1, float* u) {
  const int ci = s.ci, co = s.co;
  float tile[kPositions];
  for (int c = c0; c < c1; c++)
    for (int o = 0; o < co; o++) {
      winograd_filter_tile(w, ci, co, c, o, tile);
      for (int p = 0; p < kPositions; p++) u[(static_cast<Index>(p) * ci + c) * co + o] = tile[p];
    }
}

#ifdef WB_WINOGRAD_X86
inline __mmask16 lanes(int left) { return static_cast<__mmask16>(left >= 16 ? 0xFFFF : (1u << left) - 1); }

// V = B^T d B for the tiles of tile row ty of image n, B^T = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]:
// position p of tile tx at v[p * vs + tx * ci]. Rows outside x read `zeros` (at least w * ci floats),
// columns outside it are masked-off loads (zeros), so a tile costs 4 row pointers and one column offset.
__attribute__((target("avx512f"))) void input_row(const ConvShape& s, const float* x, int n, int ty, int tiles_x, float* v, Index vs,
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
    for (int c0 = 0; c0 < ci; c0 += 16) {
      const __mmask16 m = lanes(ci - c0);
      __m512 t[4][4];
      for (int j = 0; j < 4; j++) {
        const int ix = ix0 + j;
        const bool inside = ix >= 0 && ix < s.w;
        const __mmask16 mj = inside ? m : 0;
        const Index at = static_cast<Index>(inside ? ix : 0) * ci + c0;
        const __m512 a0 = _mm512_maskz_loadu_ps(mj, rows[0] + at), a1 = _mm512_maskz_loadu_ps(mj, rows[1] + at);
        const __m512 a2 = _mm512_maskz_loadu_ps(mj, rows[2] + at), a3 = _mm512_maskz_loadu_ps(mj, rows[3] + at);
        t[0][j] = _mm512_sub_ps(a0, a2);
        t[1][j] = _mm512_add_ps(a1, a2);
        t[2][j] = _mm512_sub_ps(a2, a1);
        t[3][j] = _mm512_sub_ps(a1, a3);
      }
      for (int i = 0; i < 4; i++) {
        float* o = out + static_cast<Index>(i * 4) * vs + c0;
        _mm512_mask_storeu_ps(o, m, _mm512_sub_ps(t[i][0], t[i][2]));
        _mm512_mask_storeu_ps(o + vs, m, _mm512_add_ps(t[i][1], t[i][2]));
        _mm512_mask_storeu_ps(o + 2 * vs, m, _mm512_sub_ps(t[i][2], t[i][1]));
        _mm512_mask_storeu_ps(o + 3 * vs, m, _mm512_sub_ps(t[i][1], t[i][3]));
      }
    }
  }
}

// Y = A^T M A for the tiles of one tile row, A^T = [[1, 1, 1, 0], [0, 1, -1, -1]]: position p of tile tx
// at m[p * ms + tx * co]; the two output rows go to out [2, ow, co].
__attribute__((target("avx512f"))) void output_row(const ConvShape& s, const float* mt, Index ms, int tiles_x, float* out) {
  const int co = s.co, ow = s.ow;
  for (int tx = 0; tx < tiles_x; tx++) {
    const float* src = mt + static_cast<Index>(tx) * co;
    const bool second = 2 * tx + 1 < ow;
    float* y0 = out + static_cast<Index>(2 * tx) * co;
    float* y1 = y0 + static_cast<Index>(ow) * co;
    for (int c0 = 0; c0 < co; c0 += 16) {
      const __mmask16 m = lanes(co - c0);
      __m512 r[4][2];
      for (int i = 0; i < 4; i++) {
        const float* q = src + static_cast<Index>(i * 4) * ms + c0;
        const __m512 a0 = _mm512_maskz_loadu_ps(m, q), a1 = _mm512_maskz_loadu_ps(m, q + ms);
        const __m512 a2 = _mm512_maskz_loadu_ps(m, q + 2 * ms), a3 = _mm512_maskz_loadu_ps(m, q + 3 * ms);
        r[i][0] = _mm512_add_ps(_mm512_add_ps(a0, a1), a2);
        r[i][1] = _mm512_sub_ps(_mm512_sub_ps(a1, a2), a3);
      }
      for (int j = 0; j < 2; j++) {
        if (j == 1 && !second) break;
        _mm512_mask_storeu_ps(y0 + j * co + c0, m, _mm512_add_ps(_mm512_add_ps(r[0][j], r[1][j]), r[2][j]));
        _mm512_mask_storeu_ps(y1 + j * co + c0, m, _mm512_sub_ps(_mm512_sub_ps(r[1][j], r[2][j]), r[3][j]));
      }
    }
  }
}
#endif

}  // namespace

void winograd_filter_tile(const float* w, int ci, int co, int c, int o, float u[16]) {
  double t[4][3];  // G g
  for (int j = 0; j < 3; j++) {
    const double a = w[(static_cast<Index>(0 * 3 + j) * ci + c) * co + o];
    const double b = w[(static_cast<Index>(1 * 3 + j) * ci + c) * co + o];
    const double e = w[(static_cast<Index>(2 * 3 + j) * ci + c) * co + o];
    t[0][j] = a;
    t[1][j] = (a + b + e) * 0.5;
    t[2][j] = (a - b + e) * 0.5;
    t[3][j] = e;
  }
  for (int i = 0; i < 4; i++) {
    const double a = t[i][0], b = t[i][1], e = t[i][2];
    u[i * 4 + 0] = static_cast<float>(a);
    u[i * 4 + 1] = static_cast<float>((a + b + e) * 0.5);
    u[i * 4 + 2] = static_cast<float>((a - b + e) * 0.5);
    u[i * 4 + 3] = static_cast<float>(e);
  }
}

int winograd_min_batch(int co) {
  // Measured crossovers (one thread, CPU time per forward, Winograd on at every batch against off):
  // the CIFAR ResNet parents (16/32/64 filters) gain from 8 images on (batch 4: 4.1 -> 3.9 ms,
  // within the noise; batch 8: 7.6 -> 5.8; batch 32: 29.0 -> 22.9), while pruned widths, padded to
  // whole 16-channel vectors here, lose to the pixel-vectorised direct conv below 64 images (compact
  // ResNet-20 at batch 4: 3.0 -> 3.6 ms; batch 32: 20.2 -> 20.6) and gain at 128 (22 -> 32 x1.41).
  if (co % 16 == 0) return switch_threshold("WORKBENCH_NATIVE_WINOGRAD_MIN_BATCH", 8);
  return switch_threshold("WORKBENCH_NATIVE_WINOGRAD_MIN_BATCH_PRUNED", 64);
}

bool winograd_applies(const ConvShape& s) {
#ifdef WB_WINOGRAD_X86
  // AVX-512 only (the transforms are written for it; WORKBENCH_NATIVE_ISA=avx2 keeps the other paths).
  // Fewer than 12 input channels: the 16 products per tile are too short a GEMM (k = ci) for the
  // microkernel's stores to pay off (11 -> 16 on 32x32 measured x0.95); the stem conv stays implicit.
  // Batches below winograd_min_batch(co) keep the other paths: see winograd.h. At most 64 channels each
  // way: measured on the CIFAR ResNet widths only (wider convs, e.g. ResNet-50's, keep their paths).
  return enabled() && winograd_shape(s, 12) &&
         s.n >= winograd_min_batch(s.co) && std::strcmp(microkernel().name, "avx512f") == 0;
#else
  (void)s;
  return false;
#endif
}

void winograd_conv2d(const ConvShape& s, const float* x, const float* w, RowSink& sink) {
#ifdef WB_WINOGRAD_X86
  winograd_channels_run(
      s, sink, [&](int c, float* u) { transform_filter(s, w, c, c + 1, u); },
      [&](int n, int ty, int tiles_x, float* v, Index vs, const float* zeros) { input_row(s, x, n, ty, tiles_x, v, vs, zeros); },
      [&](const float* m, Index ms, int tiles_x, float* out) { output_row(s, m, ms, tiles_x, out); });
#else
  (void)s, (void)x, (void)w, (void)sink;
#endif
}

}  // namespace wb
