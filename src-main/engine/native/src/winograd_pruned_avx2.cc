#include "winograd_pruned_avx2.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#include "env_switch.h"
#include "gemm.h"
#include "thread_pool.h"
#include "winograd.h"
#include "winograd_avx2_tile_parts.h"
#include "winograd_pruned.h"
#include "winograd_tiles_driver.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define WB_WINOGRAD_PRUNED_AVX2_X86 1
#include "avx2_transpose.h"
#include "winograd_filter_avx2.h"
#endif

namespace wb {

using Index = std::ptrdiff_t;

namespace {

using namespace winograd_avx2_parts;

constexpr int kPositions = 16;  // a transformed tile is 4x4

#ifdef WB_WINOGRAD_PRUNED_AVX2_X86
bool enabled() {
  return switch_on("WORKBENCH_NATIVE_WINOGRAD") && switch_on("WORKBENCH_NATIVE_WINOGRAD_PRUNED") && switch_on("WORKBENCH_NATIVE_WINOGRAD_AVX2");
}

// U^T per position, each filter block [ci][rows] contiguous (winograd_pruned.cc's layout and values):
// four filters at a time (winograd_filter_tile4), the last co % 4 one by one.
__attribute__((target("avx2,fma"))) void transform_filter(const ConvShape& s, const float* w, int c, int rows, float* ut) {
  const int ci = s.ci, co = s.co;
  const auto put = [&](int o, int p, float value) {
    const int o0 = o / rows * rows, r = o - o0, rb = std::min(rows, co - o0);
    ut[static_cast<Index>(p) * ci * co + static_cast<Index>(o0) * ci + static_cast<Index>(c) * rb + r] = value;
  };
  float four[kPositions][4];
  int o = 0;
  for (; o + 4 <= co; o += 4) {
    winograd_filter_tile4(w, ci, co, c, o, four);
    for (int p = 0; p < kPositions; p++)
      for (int k = 0; k < 4; k++) put(o + k, p, four[p][k]);
  }
  float tile[kPositions];
  for (; o < co; o++) {
    winograd_filter_tile(w, ci, co, c, o, tile);
    for (int p = 0; p < kPositions; p++) put(o, p, tile[p]);
  }
}

// d[j] for 8 tiles at one input row of one channel: column 2t + j of each tile, in one in-lane shuffle
// (no lane-crossing permute): lanes [a0 a2 b0 b2 | a4 a6 b4 b6] (+ j). G = 1 passes b = a + 8, so the
// lanes hold tiles 0 1 4 5 | 2 3 6 7; G = 2 the second tile row's input row as b, so they hold row 0's
// tiles 0 1, row 1's 0 1 | row 0's 2 3, row 1's 2 3. output_tiles' unpacklo / unpackhi put them back in order.
__attribute__((target("avx2,fma"))) inline void tile_columns(const float* a, const float* b, __m256 d[4]) {
  const __m256 a0 = _mm256_loadu_ps(a), b0 = _mm256_loadu_ps(b), a2 = _mm256_loadu_ps(a + 2), b2 = _mm256_loadu_ps(b + 2);
  d[0] = _mm256_shuffle_ps(a0, b0, 0x88);
  d[1] = _mm256_shuffle_ps(a0, b0, 0xDD);
  d[2] = _mm256_shuffle_ps(a2, b2, 0x88);
  d[3] = _mm256_shuffle_ps(a2, b2, 0xDD);
}

// V^T = B^T d B for one group of tiles, winograd_pruned.cc's operations in its order: rows[q][i] is input
// row i of the group's tile row q (G of them, 4 tiles each for G = 2) or, for G = 1, of its one tile row
// (tiles_x tiles, 8 at a time); position p of the group's lane t for channel c goes to
// v[p * ps + c * vs + col0 + t]. Lanes past a row's tiles compute from zero columns and are dropped later.
__attribute__((target("avx2,fma"))) void input_tiles(const ConvShape& s, const float* const rows[2][4], int g, int wp, int tiles_x, float* v, Index ps,
                                                    Index vs, int col0) {
  const int vectors = g == 1 ? (tiles_x + 7) / 8 : 1;
  for (int c = 0; c < s.ci; c++)
    for (int k = 0; k < vectors; k++) {
      __m256 t[4][4];
      __m256 d[4][4];
      const Index at = static_cast<Index>(c) * wp + 16 * k;
      for (int i = 0; i < 4; i++) tile_columns(rows[0][i] + at, g == 1 ? rows[0][i] + at + 8 : rows[1][i] + at, d[i]);
      for (int j = 0; j < 4; j++) {
        t[0][j] = _mm256_sub_ps(d[0][j], d[2][j]);
        t[1][j] = _mm256_add_ps(d[1][j], d[2][j]);
        t[2][j] = _mm256_sub_ps(d[2][j], d[1][j]);
        t[3][j] = _mm256_sub_ps(d[1][j], d[3][j]);
      }
      float* out = v + static_cast<Index>(c) * vs + col0 + 8 * k;
      for (int i = 0; i < 4; i++) {
        float* o = out + static_cast<Index>(i * 4) * ps;
        _mm256_storeu_ps(o, _mm256_sub_ps(t[i][0], t[i][2]));
        _mm256_storeu_ps(o + ps, _mm256_add_ps(t[i][1], t[i][2]));
        _mm256_storeu_ps(o + 2 * ps, _mm256_sub_ps(t[i][2], t[i][1]));
        _mm256_storeu_ps(o + 3 * ps, _mm256_sub_ps(t[i][1], t[i][3]));
      }
    }
}

// Y = A^T M A for one group of tiles (input_tiles' lanes), winograd_pruned.cc's operations in its order,
// 8 lanes of one filter at a time; the two output rows of the group's tile row q go channel-planar to
// out[q * slot + dy * co * owp + o * owp] (columns 2t, 2t + 1 interleaved).
__attribute__((target("avx2,fma"))) void output_tiles(const ConvShape& s, const float* mt, Index ps, Index ms, int col0, int g, int tiles_x, int owp,
                                                     float* out, Index slot) {
  const Index plane = static_cast<Index>(s.co) * owp;
  const int vectors = g == 1 ? (tiles_x + 7) / 8 : 1;
  for (int o = 0; o < s.co; o++)
    for (int k = 0; k < vectors; k++) {
      const float* src = mt + static_cast<Index>(o) * ms + col0 + 8 * k;
      __m256 r[4][2];
      for (int i = 0; i < 4; i++) {
        const float* q = src + static_cast<Index>(i * 4) * ps;
        const __m256 a0 = _mm256_loadu_ps(q), a1 = _mm256_loadu_ps(q + ps);
        const __m256 a2 = _mm256_loadu_ps(q + 2 * ps), a3 = _mm256_loadu_ps(q + 3 * ps);
        r[i][0] = _mm256_add_ps(_mm256_add_ps(a0, a1), a2);
        r[i][1] = _mm256_sub_ps(_mm256_sub_ps(a1, a2), a3);
      }
      const __m256 y[2][2] = {{_mm256_add_ps(_mm256_add_ps(r[0][0], r[1][0]), r[2][0]), _mm256_add_ps(_mm256_add_ps(r[0][1], r[1][1]), r[2][1])},
                              {_mm256_sub_ps(_mm256_sub_ps(r[1][0], r[2][0]), r[3][0]), _mm256_sub_ps(_mm256_sub_ps(r[1][1], r[2][1]), r[3][1])}};
      for (int dy = 0; dy < 2; dy++) {
        // With tile_columns' lane order, unpacklo gives columns 2t, 2t + 1 of tiles 0-3 (G = 1) or of row 0's
        // tiles (G = 2) in order, unpackhi those of tiles 4-7 or of row 1.
        const __m256 first = _mm256_unpacklo_ps(y[dy][0], y[dy][1]), second = _mm256_unpackhi_ps(y[dy][0], y[dy][1]);
        float* o0 = out + dy * plane + static_cast<Index>(o) * owp;
        if (g == 1) {
          _mm256_storeu_ps(o0 + 16 * k, first);
          _mm256_storeu_ps(o0 + 16 * k + 8, second);
        } else {
          _mm256_storeu_ps(o0, first);
          _mm256_storeu_ps(o0 + slot, second);
        }
      }
    }
}

#endif

#ifdef WB_WINOGRAD_PRUNED_AVX2_X86
// F(2x2, 3x3) over 8 tiles for winograd_tiles_run: tile rows of up to 4 tiles share vectors, G = 2 rows
// per 8 lanes (a group); a longer row's tiles take 8 * vectors_x columns of V and M. About 96 tiles per task.
struct F23Avx2 {
  static constexpr int kOut = 2, kLanes = 8, kMaxGroup = 2, kPanel = winograd_avx2_parts::kPanel;
  static constexpr int kSlots = 8;  // planar input rows held per task (a group reads at most 2 * 2 + 2)
  static TileGeometry geometry(const ConvShape& s) {
    const int tiles_x = (s.ow + 1) / 2, vectors_x = (tiles_x + 7) / 8;
    const int group = tiles_x > 4 ? 1 : 2;
    // planar input row: the loads of the last 8 tiles reach column 16 * vectors_x + 9
    return {tiles_x, (s.oh + 1) / 2, group, group == 1 ? 8 * vectors_x : 8, 16 * vectors_x + 8, 16 * vectors_x, 96};
  }
  static int block_rows(int co) { return winograd_avx2_parts::block_rows(co); }
  static RowsKernel kernel(int rows) { return kRowsKernels[static_cast<std::size_t>(rows)]; }
  static constexpr auto filter = &transform_filter;
  static constexpr auto planar = &planar_row;
  static constexpr auto inputs = &input_tiles;
  static constexpr auto outputs = &output_tiles;
  static constexpr auto fused = &fused_row;
  static constexpr auto transpose = &transpose8_block;
};
#endif

}  // namespace

int winograd_pruned_avx2_min_batch(const ConvShape& s) {
  // Measured crossovers (AVX-512 CPU forced to AVX2, one thread, CPU time per call of each 30%-pruned
  // CIFAR ResNet layer, conv-layer-ab.ts --inference, this path against WORKBENCH_NATIVE_WINOGRAD_AVX2=0):
  //   12 and 23 filters (stages 1, 2): batch 1 slower (stage-1 conv1 0.056 vs 0.045 ms), batch 2 mixed
  //   (stage-2 conv1 0.078 vs 0.074 and 0.075 vs 0.074, the rest faster), batch 3 all faster (0.120 vs 0.130 ...);
  //   45 filters (stage 3, 8x8 maps, 16 tiles per image): batch 4 mixed (tail 0.107 vs 0.119, conv1 0.155 vs
  //   0.147), batch 6 faster (0.139 vs 0.175, 0.194 vs 0.217); batch 32: 1.03-1.61x over all pruned layers.
  // WORKBENCH_NATIVE_WINOGRAD_AVX2_MIN_BATCH sets both.
  return switch_threshold("WORKBENCH_NATIVE_WINOGRAD_AVX2_MIN_BATCH", s.co > 32 ? 6 : 3);
}

bool winograd_pruned_avx2_applies(const ConvShape& s) {
#ifdef WB_WINOGRAD_PRUNED_AVX2_X86
  return enabled() && winograd_shape(s, 4) && s.co % 16 != 0 && s.n >= winograd_pruned_avx2_min_batch(s) && std::strcmp(microkernel().name, "avx2") == 0;
#else
  (void)s;
  return false;
#endif
}

void winograd_pruned_avx2_conv2d(const ConvShape& s, const float* x, const float* w, RowSink& sink, const Epilogue* ep, float* y) {
#ifdef WB_WINOGRAD_PRUNED_AVX2_X86
  winograd_tiles_run<F23Avx2>(s, x, w, sink, ep, y, y != nullptr && winograd_pruned_fuses(ep));
#else
  (void)s, (void)x, (void)w, (void)sink, (void)ep, (void)y;
#endif
}

}  // namespace wb
