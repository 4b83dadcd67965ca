#include "winograd_f43_pruned.h"

#include <algorithm>
#include <cstring>

#include "env_switch.h"
#include "winograd_avx2_tile_parts.h"
#include "winograd_f43_filter.h"
#include "winograd_pruned.h"
#include "winograd_tile_parts.h"
#include "winograd_tiles_driver.h"

namespace wb {

namespace {

using namespace winograd_tile_parts;

// U^T per position, filter blocks [ci][rows] contiguous (winograd_pruned.cc's layout, 36 positions).
void transform_filter(const ConvShape& s, const float* w, int c, int rows, float* ut) {
  filter_blocks<kF43Positions>(s, c, rows, ut, [&](int o, float* u) { winograd_f43_filter_tile(w, s.ci, s.co, c, o, u); });
}

#ifdef WB_WINOGRAD_TILE_PARTS_X86
// y = B^T x along one axis (6 vectors), in this order of operations; fused multiply-adds where a
// coefficient is not 1 (at most two roundings per output: the input transform was the largest share
// of a stage-1 layer's time, ahead of the products).
__attribute__((target("avx512f"))) inline void input_1d(const __m512 x[6], __m512 y[6]) {
  const __m512 four = _mm512_set1_ps(4.0f), five = _mm512_set1_ps(5.0f);
  const __m512 a = _mm512_fnmadd_ps(four, x[2], x[4]);  // x4 - 4 x2
  const __m512 b = _mm512_fnmadd_ps(four, x[1], x[3]);  // x3 - 4 x1
  const __m512 c = _mm512_sub_ps(x[4], x[2]);
  const __m512 d = _mm512_sub_ps(x[3], x[1]);
  const __m512 e = _mm512_add_ps(d, d);  // 2 (x3 - x1), exact
  y[0] = _mm512_fmadd_ps(four, x[0], _mm512_fnmadd_ps(five, x[2], x[4]));
  y[1] = _mm512_add_ps(a, b);
  y[2] = _mm512_sub_ps(a, b);
  y[3] = _mm512_add_ps(c, e);
  y[4] = _mm512_sub_ps(c, e);
  y[5] = _mm512_fmadd_ps(four, x[1], _mm512_fnmadd_ps(five, x[3], x[5]));
}

// y = A^T m along one axis (6 vectors to 4), in this order of operations (at most three roundings per output).
__attribute__((target("avx512f"))) inline void output_1d(const __m512 m[6], __m512 y[4]) {
  const __m512 s12 = _mm512_add_ps(m[1], m[2]), d12 = _mm512_sub_ps(m[1], m[2]);
  const __m512 s34 = _mm512_add_ps(m[3], m[4]), d34 = _mm512_sub_ps(m[3], m[4]);
  y[0] = _mm512_add_ps(_mm512_add_ps(m[0], s12), s34);
  y[1] = _mm512_fmadd_ps(_mm512_set1_ps(2.0f), d34, d12);
  y[2] = _mm512_fmadd_ps(_mm512_set1_ps(4.0f), s34, s12);
  y[3] = _mm512_add_ps(_mm512_fmadd_ps(_mm512_set1_ps(8.0f), d34, d12), m[5]);
}

// Column j (j < 6) of the group's 16 lanes at input row i of one channel (offset `at` in the regrouped
// rows, regroup_tile_columns: p[T j + t] = column 4t + j): G = 2 (T = 8): lanes 8q + t hold tile row q's
// tile t, two 256-bit loads; G = 4 (T = 4): lanes 4q + t, four 128-bit loads.
template <int G>
__attribute__((target("avx512f"))) inline __m512 tile_column(const float* const rows[8][6], int i, int j, Index at) {
  if constexpr (G == 2) {
    const __m256d lo = _mm256_castps_pd(_mm256_loadu_ps(rows[0][i] + at + 8 * j)), hi = _mm256_castps_pd(_mm256_loadu_ps(rows[1][i] + at + 8 * j));
    return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castpd256_pd512(lo), hi, 1));
  } else {
    __m512 r = _mm512_castps128_ps512(_mm_loadu_ps(rows[0][i] + at + 4 * j));
    r = _mm512_insertf32x4(r, _mm_loadu_ps(rows[1][i] + at + 4 * j), 1);
    r = _mm512_insertf32x4(r, _mm_loadu_ps(rows[2][i] + at + 4 * j), 2);
    return _mm512_insertf32x4(r, _mm_loadu_ps(rows[3][i] + at + 4 * j), 3);
  }
}

// G = 8 (rows of 2 tiles): planar rows hold each channel's columns in pairs, p[2j + t] = column 4t + j
// (regroup_tile_columns), so one load per tile row holds all six (j) pairs of its 2 tiles and d[j] is the j-th
// pair of each of the 8 rows: an 8x8 transpose of 64-bit pairs (6 of its 8 outputs); lanes 2q + t
// hold tile row q's tile t.
__attribute__((target("avx512f"))) inline void pair_columns(const float* const rows[8], Index at, __m512 d[6]) {
  __m512d lo[4], hi[4];  // lo[k]: pairs 0, 2, 4, 6 of rows 2k, 2k + 1 interleaved; hi[k]: pairs 1, 3, 5, 7
  for (int k = 0; k < 4; k++) {
    const __m512d a = _mm512_castps_pd(_mm512_loadu_ps(rows[2 * k] + at)), b = _mm512_castps_pd(_mm512_loadu_ps(rows[2 * k + 1] + at));
    lo[k] = _mm512_unpacklo_pd(a, b);
    hi[k] = _mm512_unpackhi_pd(a, b);
  }
  // rows 0-3 (k = 0, 1) and 4-7 (k = 2, 3): pairs {0, 4} or {2, 6} (lo), {1, 5} or {3, 7} (hi) of 4 rows
  const __m512i first = _mm512_setr_epi64(0, 1, 8, 9, 4, 5, 12, 13), second = _mm512_setr_epi64(2, 3, 10, 11, 6, 7, 14, 15);
  const __m512d e04a = _mm512_permutex2var_pd(lo[0], first, lo[1]), e04b = _mm512_permutex2var_pd(lo[2], first, lo[3]);
  const __m512d e26a = _mm512_permutex2var_pd(lo[0], second, lo[1]), e26b = _mm512_permutex2var_pd(lo[2], second, lo[3]);
  const __m512d o15a = _mm512_permutex2var_pd(hi[0], first, hi[1]), o15b = _mm512_permutex2var_pd(hi[2], first, hi[3]);
  const __m512d o37a = _mm512_permutex2var_pd(hi[0], second, hi[1]), o37b = _mm512_permutex2var_pd(hi[2], second, hi[3]);
  d[0] = _mm512_castpd_ps(_mm512_shuffle_f64x2(e04a, e04b, 0x44));
  d[4] = _mm512_castpd_ps(_mm512_shuffle_f64x2(e04a, e04b, 0xEE));
  d[2] = _mm512_castpd_ps(_mm512_shuffle_f64x2(e26a, e26b, 0x44));
  d[1] = _mm512_castpd_ps(_mm512_shuffle_f64x2(o15a, o15b, 0x44));
  d[5] = _mm512_castpd_ps(_mm512_shuffle_f64x2(o15a, o15b, 0xEE));
  d[3] = _mm512_castpd_ps(_mm512_shuffle_f64x2(o37a, o37b, 0x44));
}

// Row iy of image n channel-planar (planar_row), each channel's columns regrouped for the group's loads
// (regroup_tile_columns; for rows of 2 tiles the column pairs pair_columns reads).
__attribute__((target("avx512f"))) void regrouped_row(const ConvShape& s, const float* x, int n, int iy, int wp, float* p) {
  planar_row(s, x, n, iy, wp, p);
  winograd_avx2_parts::regroup_tile_columns(s, wp, p);
}

// V^T = B^T d B for one group of 16 lanes: rows[q][i] is input row i of the group's tile row q; position
// p of channel c goes to v[p * ps + c * vs + col0 + lane]. Lanes past a row's tiles read the planar rows'
// zero or neighbouring columns (finite) and are dropped later.
template <int G>
__attribute__((target("avx512f"))) void input_tiles(const ConvShape& s, const float* const rows[8][6], int wp, float* v, Index ps, Index vs, int col0) {
  for (int c = 0; c < s.ci; c++) {
    const Index at = static_cast<Index>(c) * wp;
    // The column pass's results staged in memory: 36 vectors with the 36 inputs exceed the 32 registers
    // (as in winograd_f43_pruned_avx2.cc, where explicit stores and loads halved the instructions of the
    // compiler's spills of a register array).
    alignas(64) float t[6][6][16];
    __m512 d[6][6];
    if constexpr (G == 8)
      for (int i = 0; i < 6; i++) {
        const float* src[8] = {rows[0][i], rows[1][i], rows[2][i], rows[3][i], rows[4][i], rows[5][i], rows[6][i], rows[7][i]};
        pair_columns(src, at, d[i]);
      }
    for (int j = 0; j < 6; j++) {  // down each column: t[.][j] = B^T d[.][j]
      __m512 col[6], out[6];
      for (int i = 0; i < 6; i++) {
        if constexpr (G == 8)
          col[i] = d[i][j];
        else
          col[i] = tile_column<G>(rows, i, j, at);
      }
      input_1d(col, out);
      for (int i = 0; i < 6; i++) _mm512_store_ps(t[i][j], out[i]);
    }
    float* o = v + static_cast<Index>(c) * vs + col0;
    for (int i = 0; i < 6; i++) {  // along each row: V[i][.] = t[i][.] B
      __m512 row[6], out[6];
      for (int j = 0; j < 6; j++) row[j] = _mm512_load_ps(t[i][j]);
      input_1d(row, out);
      for (int j = 0; j < 6; j++) _mm512_storeu_ps(o + static_cast<Index>(i * 6 + j) * ps, out[j]);
    }
  }
}

// Y = A^T M A for one group (input_tiles' lanes), 16 lanes of one filter at a time: position p of filter
// o at m[p * ps + o * ms + col0 + lane]; output row dy of the group's tile row q goes channel-planar to
// out[q * slot + dy * co * owp + o * owp] (columns 4t .. 4t + 3 of tile t).
template <int G>
__attribute__((target("avx512f"))) void output_tiles(const ConvShape& s, const float* mt, Index ps, Index ms, int col0, int g, int owp, float* out,
                                                     Index slot) {
  const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const __m512i hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  const __m512i quad_lo = _mm512_setr_epi32(0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
  const __m512i quad_hi = _mm512_setr_epi32(8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31);
  const Index plane = static_cast<Index>(s.co) * owp;
  const int per_row = G == 8 ? 1 : 4 / g;  // 16-column vectors per tile row: 2 (G = 2) or 1 (G = 4); G = 8: 8 columns
  for (int o = 0; o < s.co; o++) {
    const float* src = mt + static_cast<Index>(o) * ms + col0;
    __m512 t[4][6];
    for (int j = 0; j < 6; j++) {  // down each column: t[.][j] = A^T M[.][j]
      __m512 col[6], r[4];
      for (int i = 0; i < 6; i++) col[i] = _mm512_loadu_ps(src + static_cast<Index>(i * 6 + j) * ps);
      output_1d(col, r);
      for (int i = 0; i < 4; i++) t[i][j] = r[i];
    }
    for (int dy = 0; dy < 4; dy++) {
      __m512 y[4];
      output_1d(t[dy], y);  // y[k] lane L: column 4L + k of the lane's tile
      const __m512 p01lo = _mm512_permutex2var_ps(y[0], lo, y[1]), p01hi = _mm512_permutex2var_ps(y[0], hi, y[1]);
      const __m512 p23lo = _mm512_permutex2var_ps(y[2], lo, y[3]), p23hi = _mm512_permutex2var_ps(y[2], hi, y[3]);
      const __m512 quads[4] = {_mm512_permutex2var_ps(p01lo, quad_lo, p23lo), _mm512_permutex2var_ps(p01lo, quad_hi, p23lo),
                               _mm512_permutex2var_ps(p01hi, quad_lo, p23hi), _mm512_permutex2var_ps(p01hi, quad_hi, p23hi)};
      float* o0 = out + dy * plane + static_cast<Index>(o) * owp;
      if constexpr (G == 8) {  // quads[k]: tile rows 2k (low 8 lanes) and 2k + 1 (high 8), 8 columns each
        for (int k = 0; k < 4; k++) {
          _mm256_storeu_ps(o0 + (2 * k) * slot, _mm512_castps512_ps256(quads[k]));
          _mm256_storeu_ps(o0 + (2 * k + 1) * slot, _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(quads[k]), 1)));
        }
      } else {
        for (int k = 0; k < 4; k++) _mm512_storeu_ps(o0 + (k / per_row) * slot + 16 * (k % per_row), quads[k]);
      }
    }
  }
}
#endif

#ifdef WB_WINOGRAD_TILE_PARTS_X86
// F(4x4, 3x3) over 16 tiles for winograd_tiles_run: 16 lanes hold G = 2 tile rows of up to 8 tiles, 4
// of up to 4 or 8 of 2 (a group; tile rows count over the batch, so a group of 8 may span images).
// About 64 tiles per task (V and M ~36 x (ci + co) x 64 floats; 96 as in winograd_pruned.cc measured
// 1.1-1.2x slower at batch 32, 32 no faster).
struct F43Avx512 {
  static constexpr int kOut = 4, kLanes = 16, kMaxGroup = 8, kPanel = winograd_tile_parts::kPanel;
  // planar input rows held per task: 24 for G = 2 and 4 (a group of 4 tile rows reads 18), 40 for G = 8 (34)
  static constexpr int kSlots = 40;
  static TileGeometry geometry(const ConvShape& s) {
    const int tiles_x = (s.ow + 3) / 4;
    // planar rows of 16 columns for 2 tiles per row (regroup_tile_columns: columns up to 4 + 5 in pairs, 12 floats)
    if (tiles_x <= 2) return {tiles_x, (s.oh + 3) / 4, 8, 16, 16, 16, 64, 40};
    const int group = tiles_x > 4 ? 2 : 4;
    // planar output row: 16 / G tiles of 4 columns; planar input row: maps up to 34 wide, a group's
    // loads reach column 4 * 7 + 5 + 31 = 36
    return {tiles_x, (s.oh + 3) / 4, group, 16, 48, 64 / group, 64, 24};
  }
  static int block_rows(int co) { return winograd_tile_parts::block_rows(co); }
  static RowsKernel kernel(int rows) { return kRowsKernels[static_cast<std::size_t>(rows)]; }
  static void inputs(const ConvShape& s, const float* const rows[8][6], int g, int wp, int, float* v, Index ps, Index vs, int col0) {
    if (g == 8)
      input_tiles<8>(s, rows, wp, v, ps, vs, col0);
    else if (g == 4)
      input_tiles<4>(s, rows, wp, v, ps, vs, col0);
    else
      input_tiles<2>(s, rows, wp, v, ps, vs, col0);
  }
  static void outputs(const ConvShape& s, const float* mt, Index ps, Index ms, int col0, int g, int, int owp, float* out, Index slot) {
    if (g == 8)
      output_tiles<8>(s, mt, ps, ms, col0, g, owp, out, slot);
    else
      output_tiles<0>(s, mt, ps, ms, col0, g, owp, out, slot);
  }
  static constexpr auto filter = &transform_filter;
  static constexpr auto planar = &regrouped_row;
  static constexpr auto fused = &fused_row;
  static constexpr auto transpose = &transpose16;
};
#endif

}  // namespace

int winograd_f43_pruned_min_batch(const ConvShape& s) {
  // Rows of 2 tiles (5-8 wide maps, the compact ResNets' stage 3; 8 tile rows per vector): measured
  // against F(2x2) (one thread, CPU time per call, conv-layer-ab.ts --inference --only s3, median of 5
  // runs; block-last 45 -> 45 scattered to 64 + map + residual / conv1 64 -> 45):
  //   batch 2: 0.71x / 0.69x (a task's one panel of 32 tiles mostly empty, 36 filter positions in double);
  //   batch 4: 0.91x / 0.85x; batch 5-6: even (0.98-1.03x); batch 7: 1.18x / 1.19x; batch 8: 1.17x / 1.13x;
  //   batch 32: 1.41x / 1.31x. So from 7 images on.
  if ((s.ow + 3) / 4 <= 2) return switch_threshold("WORKBENCH_NATIVE_WINOGRAD_F43_MIN_BATCH_NARROW", 7);
  return switch_threshold("WORKBENCH_NATIVE_WINOGRAD_F43_MIN_BATCH", 2);
}

bool winograd_f43_pruned_applies(const ConvShape& s) {
  const int tiles_x = (s.ow + 3) / 4;
  return switch_on("WORKBENCH_NATIVE_WINOGRAD_F43") && tiles_x >= 2 && tiles_x <= 8 && s.n >= winograd_f43_pruned_min_batch(s) &&
         winograd_pruned_applies(s);
}

void winograd_f43_pruned_conv2d(const ConvShape& s, const float* x, const float* w, RowSink& sink, const Epilogue* ep, float* y) {
#ifdef WB_WINOGRAD_TILE_PARTS_X86
  winograd_tiles_run<F43Avx512>(s, x, w, sink, ep, y, y != nullptr && winograd_pruned_fuses(ep));
#else
  (void)s, (void)x, (void)w, (void)sink, (void)ep, (void)y;
#endif
}

}  // namespace wb
