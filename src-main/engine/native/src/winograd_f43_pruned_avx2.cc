#include "winograd_f43_pruned_avx2.h"

#include <algorithm>
#include <cstring>

#include "env_switch.h"
#include "winograd_avx2_tile_parts.h"
#include "winograd_f43_filter.h"
#include "winograd_pruned.h"
#include "winograd_pruned_avx2.h"
#include "winograd_tile_parts.h"
#include "winograd_tiles_driver.h"

namespace wb {

namespace {

using namespace winograd_avx2_parts;

#ifdef WB_WINOGRAD_AVX2_PARTS_X86
// U^T per position in filter blocks of up to 6 rows (the AVX2 microkernel's), winograd_f43_pruned.cc's values.
void transform_filter(const ConvShape& s, const float* w, int c, int rows, float* ut) {
  winograd_tile_parts::filter_blocks<kF43Positions>(s, c, rows, ut, [&](int o, float* u) { winograd_f43_filter_tile(w, s.ci, s.co, c, o, u); });
}

// winograd_f43_pruned.cc's input_1d on 8 lanes: y = B^T x along one axis, the same operations in the same order.
__attribute__((target("avx2,fma"))) inline void input_1d(const __m256 x[6], __m256 y[6]) {
  const __m256 four = _mm256_set1_ps(4.0f), five = _mm256_set1_ps(5.0f);
  const __m256 a = _mm256_fnmadd_ps(four, x[2], x[4]);  // x4 - 4 x2
  const __m256 b = _mm256_fnmadd_ps(four, x[1], x[3]);  // x3 - 4 x1
  const __m256 c = _mm256_sub_ps(x[4], x[2]);
  const __m256 d = _mm256_sub_ps(x[3], x[1]);
  const __m256 e = _mm256_add_ps(d, d);  // 2 (x3 - x1), exact
  y[0] = _mm256_fmadd_ps(four, x[0], _mm256_fnmadd_ps(five, x[2], x[4]));
  y[1] = _mm256_add_ps(a, b);
  y[2] = _mm256_sub_ps(a, b);
  y[3] = _mm256_add_ps(c, e);
  y[4] = _mm256_sub_ps(c, e);
  y[5] = _mm256_fmadd_ps(four, x[1], _mm256_fnmadd_ps(five, x[3], x[5]));
}

// winograd_f43_pruned.cc's output_1d on 8 lanes: y = A^T m along one axis, the same operations in the same order.
__attribute__((target("avx2,fma"))) inline void output_1d(const __m256 m[6], __m256 y[4]) {
  const __m256 s12 = _mm256_add_ps(m[1], m[2]), d12 = _mm256_sub_ps(m[1], m[2]);
  const __m256 s34 = _mm256_add_ps(m[3], m[4]), d34 = _mm256_sub_ps(m[3], m[4]);
  y[0] = _mm256_add_ps(_mm256_add_ps(m[0], s12), s34);
  y[1] = _mm256_fmadd_ps(_mm256_set1_ps(2.0f), d34, d12);
  y[2] = _mm256_fmadd_ps(_mm256_set1_ps(4.0f), s34, s12);
  y[3] = _mm256_add_ps(_mm256_fmadd_ps(_mm256_set1_ps(8.0f), d34, d12), m[5]);
}

// Row iy of image n channel-planar (planar_row), then regrouped (regroup_tile_columns).
__attribute__((target("avx2,fma"))) void regrouped_row(const ConvShape& s, const float* x, int n, int iy, int wp, float* p) {
  planar_row(s, x, n, iy, wp, p);
  regroup_tile_columns(s, wp, p);
}

// d[.][j]: column j (j < 6) of the group's 8 lanes at each input row i of one channel (offset `at` in the
// regrouped rows); lane T q + t holds tile row q's tile t. Rows of 8 or 4 tiles: one load or two
// per value; rows of 2 (four tile rows): a 4x4 transpose of 64-bit column pairs per input row, all six
// columns at once (d[i][.]).
template <int T>
__attribute__((target("avx2,fma"))) inline __m256 tile_column(const float* const rows[4][6], int i, int j, Index at) {
  if constexpr (T == 8) return _mm256_loadu_ps(rows[0][i] + at + 8 * j);
  return _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(rows[0][i] + at + 4 * j)), _mm_loadu_ps(rows[1][i] + at + 4 * j), 1);
}
__attribute__((target("avx2,fma"))) inline void pair_columns(const float* const rows[4][6], int i, Index at, __m256 d[6]) {
  __m256d lo[4], hi[4];
  for (int q = 0; q < 4; q++) {
    lo[q] = _mm256_castps_pd(_mm256_loadu_ps(rows[q][i] + at));
    hi[q] = _mm256_castps_pd(_mm256_loadu_ps(rows[q][i] + at + 8));
  }
  const __m256d e01 = _mm256_unpacklo_pd(lo[0], lo[1]), o01 = _mm256_unpackhi_pd(lo[0], lo[1]);  // pairs 0, 2 / 1, 3 of rows 0, 1
  const __m256d e23 = _mm256_unpacklo_pd(lo[2], lo[3]), o23 = _mm256_unpackhi_pd(lo[2], lo[3]);
  const __m256d f01 = _mm256_unpacklo_pd(hi[0], hi[1]), g01 = _mm256_unpackhi_pd(hi[0], hi[1]);  // pairs 4 / 5 of rows 0, 1
  const __m256d f23 = _mm256_unpacklo_pd(hi[2], hi[3]), g23 = _mm256_unpackhi_pd(hi[2], hi[3]);
  d[0] = _mm256_castpd_ps(_mm256_permute2f128_pd(e01, e23, 0x20));
  d[1] = _mm256_castpd_ps(_mm256_permute2f128_pd(o01, o23, 0x20));
  d[2] = _mm256_castpd_ps(_mm256_permute2f128_pd(e01, e23, 0x31));
  d[3] = _mm256_castpd_ps(_mm256_permute2f128_pd(o01, o23, 0x31));
  d[4] = _mm256_castpd_ps(_mm256_permute2f128_pd(f01, f23, 0x20));
  d[5] = _mm256_castpd_ps(_mm256_permute2f128_pd(g01, g23, 0x20));
}

// V^T = B^T d B for one group of 8 lanes, winograd_f43_pruned.cc's operations in its order: rows[q][i] is
// input row i of the group's tile row q; position p of channel c goes to v[p * ps + c * vs + col0 + lane].
// Lanes past a row's tiles read the rows' zero or neighbouring columns (finite) and are dropped later.
template <int T>
__attribute__((target("avx2,fma"))) void input_tiles(const ConvShape& s, const float* const rows[4][6], int wp, float* v, Index ps, Index vs, int col0) {
  for (int c = 0; c < s.ci; c++) {
    const Index at = static_cast<Index>(c) * wp;
    // The column pass's results staged in memory (36 vectors: more than the 16 registers; explicit
    // stores and loads cost less than the spills the compiler made of a register array).
    alignas(32) float t[6][6][8];
    __m256 d[6][6];
    if constexpr (T == 2)
      for (int i = 0; i < 6; i++) pair_columns(rows, i, at, d[i]);
    for (int j = 0; j < 6; j++) {  // down each column: t[.][j] = B^T d[.][j]
      __m256 col[6], out[6];
      for (int i = 0; i < 6; i++) {
        if constexpr (T == 2)
          col[i] = d[i][j];
        else
          col[i] = tile_column<T>(rows, i, j, at);
      }
      input_1d(col, out);
      for (int i = 0; i < 6; i++) _mm256_store_ps(t[i][j], out[i]);
    }
    float* o = v + static_cast<Index>(c) * vs + col0;
    for (int i = 0; i < 6; i++) {  // along each row: V[i][.] = t[i][.] B
      __m256 row[6], out[6];
      for (int j = 0; j < 6; j++) row[j] = _mm256_load_ps(t[i][j]);
      input_1d(row, out);
      for (int j = 0; j < 6; j++) _mm256_storeu_ps(o + static_cast<Index>(i * 6 + j) * ps, out[j]);
    }
  }
}

// Y = A^T M A for one group (input_tiles' lanes), 8 lanes of one filter at a time, winograd_f43_pruned.cc's
// operations in its order: output row dy of tile row q goes channel-planar to out[q * slot + dy * co * owp
// + o * owp], columns 4t .. 4t + 3 of tile t.
template <int T>
__attribute__((target("avx2,fma"))) void output_tiles(const ConvShape& s, const float* mt, Index ps, Index ms, int col0, int owp, float* out, Index slot) {
  const Index plane = static_cast<Index>(s.co) * owp;
  for (int o = 0; o < s.co; o++) {
    const float* src = mt + static_cast<Index>(o) * ms + col0;
    __m256 t[4][6];
    for (int j = 0; j < 6; j++) {  // down each column: t[.][j] = A^T M[.][j]
      __m256 col[6], r[4];
      for (int i = 0; i < 6; i++) col[i] = _mm256_loadu_ps(src + static_cast<Index>(i * 6 + j) * ps);
      output_1d(col, r);
      for (int i = 0; i < 4; i++) t[i][j] = r[i];
    }
    for (int dy = 0; dy < 4; dy++) {
      __m256 y[4];
      output_1d(t[dy], y);  // y[k] lane l: column k of lane l's tile
      // A 4 x 8 transpose: z[k] holds lane k's 4 columns (low half) and lane k + 4's (high half).
      const __m256 a = _mm256_unpacklo_ps(y[0], y[1]), b = _mm256_unpacklo_ps(y[2], y[3]);
      const __m256 c = _mm256_unpackhi_ps(y[0], y[1]), e = _mm256_unpackhi_ps(y[2], y[3]);
      const __m256 z[4] = {_mm256_shuffle_ps(a, b, 0x44), _mm256_shuffle_ps(a, b, 0xEE), _mm256_shuffle_ps(c, e, 0x44), _mm256_shuffle_ps(c, e, 0xEE)};
      float* o0 = out + dy * plane + static_cast<Index>(o) * owp;
      for (int k = 0; k < 4; k++) {
        _mm_storeu_ps(o0 + (k / T) * slot + 4 * (k % T), _mm256_castps256_ps128(z[k]));
        _mm_storeu_ps(o0 + ((k + 4) / T) * slot + 4 * ((k + 4) % T), _mm256_extractf128_ps(z[k], 1));
      }
    }
  }
}

// F(4x4, 3x3) over 8 tiles for winograd_tiles_run: 8 lanes hold one tile row of up to 8 tiles, two of up
// to 4 or four of 2 (a group; tile rows count over the batch, so a group may span images). About 32 tiles
// per task (64, as on AVX-512, took 1.06-1.17x the CPU samples on conv1 16 -> 12 and 64 -> 45 at batch 32).
struct F43Avx2 {
  static constexpr int kOut = 4, kLanes = 8, kMaxGroup = 4, kPanel = winograd_avx2_parts::kPanel;
  static constexpr int kSlots = 24;  // planar input rows held per task: a group of G tile rows reads 4 G + 2
  static TileGeometry geometry(const ConvShape& s) {
    const int tiles_x = (s.ow + 3) / 4, per_row = tiles_per_row(tiles_x), group = 8 / per_row;
    // planar input rows: 6 columns per tile regrouped (pairs: 8 loaded per row, 16 floats); the raw row
    // before regrouping reaches column 4 * (per_row - 1) + 5. Planar output rows: 4 columns per tile.
    const int wp = per_row == 2 ? 16 : 6 * per_row;
    return {tiles_x, (s.oh + 3) / 4, group, 8, wp, 4 * per_row, 32, group == 4 ? 24 : group == 2 ? 16 : 8};
  }
  static int block_rows(int co) { return winograd_avx2_parts::block_rows(co); }
  static RowsKernel kernel(int rows) { return kRowsKernels[static_cast<std::size_t>(rows)]; }
  static void inputs(const ConvShape& s, const float* const rows[4][6], int g, int wp, int, float* v, Index ps, Index vs, int col0) {
    if (g == 4)
      input_tiles<2>(s, rows, wp, v, ps, vs, col0);
    else if (g == 2)
      input_tiles<4>(s, rows, wp, v, ps, vs, col0);
    else
      input_tiles<8>(s, rows, wp, v, ps, vs, col0);
  }
  static void outputs(const ConvShape& s, const float* mt, Index ps, Index ms, int col0, int g, int, int owp, float* out, Index slot) {
    if (g == 4)
      output_tiles<2>(s, mt, ps, ms, col0, owp, out, slot);
    else if (g == 2)
      output_tiles<4>(s, mt, ps, ms, col0, owp, out, slot);
    else
      output_tiles<8>(s, mt, ps, ms, col0, owp, out, slot);
  }
  static constexpr auto filter = &transform_filter;
  static constexpr auto planar = &regrouped_row;
  static constexpr auto fused = &fused_row;
  static constexpr auto transpose = &transpose8_block;
};
#endif

}  // namespace

int winograd_f43_pruned_avx2_min_batch(const ConvShape& s) {
  // Measured against the AVX2 F(2x2) path (AVX-512 CPU forced to AVX2, one thread, CPU time per call,
  // conv-layer-ab.ts --inference --toggle WORKBENCH_NATIVE_WINOGRAD_F43_AVX2, 15 rounds, two runs):
  //   32x32 and 16x16 maps (stages 1, 2 of the compact ResNets): batch 3 block-last 12 -> 12 and 23 -> 23
  //   1.03-1.26x, conv1 16 -> 12 and 32 -> 23 even (0.98-1.02x); batch 4 conv1 32 -> 23 1.17-1.20x. So
  //   from 3 images on (F(2x2)'s own threshold there).
  //   8x8 maps (stage 3, rows of 2 tiles, four tile rows per vector): block-last 45 -> 45 1.07-1.10x from
  //   8 images on, but conv1 64 -> 45 0.95x at 8, 0.93-1.0x at 10, 1.06-1.14x at 12, 1.05-1.10x at 16. So from 12.
  if ((s.ow + 3) / 4 <= 2) return switch_threshold("WORKBENCH_NATIVE_WINOGRAD_F43_AVX2_MIN_BATCH_NARROW", 12);
  return switch_threshold("WORKBENCH_NATIVE_WINOGRAD_F43_AVX2_MIN_BATCH", 3);
}

bool winograd_f43_pruned_avx2_applies(const ConvShape& s) {
  const int tiles_x = (s.ow + 3) / 4;
  return switch_on("WORKBENCH_NATIVE_WINOGRAD_F43") && switch_on("WORKBENCH_NATIVE_WINOGRAD_F43_AVX2") && tiles_x >= 2 && tiles_x <= 8 &&
         s.n >= winograd_f43_pruned_avx2_min_batch(s) && winograd_pruned_avx2_applies(s);
}

void winograd_f43_pruned_avx2_conv2d(const ConvShape& s, const float* x, const float* w, RowSink& sink, const Epilogue* ep, float* y) {
#ifdef WB_WINOGRAD_AVX2_PARTS_X86
  winograd_tiles_run<F43Avx2>(s, x, w, sink, ep, y, y != nullptr && winograd_pruned_fuses(ep));
#else
  (void)s, (void)x, (void)w, (void)sink, (void)ep, (void)y;
#endif
}

}  // namespace wb
