#include "winograd_f43_pruned.h"

#include <algorithm>
#include <cstring>

#include "env_switch.h"
#include "winograd_pruned.h"
#include "winograd_tile_parts.h"
#include "winograd_tiles_driver.h"

namespace wb {

namespace {

using namespace winograd_tile_parts;

constexpr int kPositions = 36;  // a transformed tile is 6x6

// U = G g G^T for filter o and input channel c, in double, rounded once: u[i * 6 + j]. Multiplies by
// the double reciprocals (double divisions made the transform the per-call cost that decided the
// small-batch crossover); their relative error, ~1e-16, is far below the one float rounding.
void filter_tile(const float* w, int ci, int co, int c, int o, float u[kPositions]) {
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
    const auto at = [&](int i) { return static_cast<double>(w[(static_cast<Index>(i * 3 + j) * ci + c) * co + o]); };
    g6(at(0), at(1), at(2), t[j]);
  }
  for (int i = 0; i < 6; i++) {
    double r[6];
    g6(t[0][i], t[1][i], t[2][i], r);
    for (int j = 0; j < 6; j++) u[i * 6 + j] = static_cast<float>(r[j]);
  }
}

// U^T per position, filter blocks [ci][rows] contiguous (winograd_pruned.cc's layout, 36 positions).
void transform_filter(const ConvShape& s, const float* w, int c, int rows, float* ut) {
  filter_blocks<kPositions>(s, c, rows, ut, [&](int o, float* u) { filter_tile(w, s.ci, s.co, c, o, u); });
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

// d[j] for the group's 16 lanes at one input row of channel c (planar offset `at`): column 4t + j of
// tile t. G = 2: lanes 8q + t hold tile row q's tile t (t < 8); G = 4: lanes 4q + t (t < 4).
__attribute__((target("avx512f"))) inline void tile_columns(const float* const rows[4], int g, Index at, __m512 d[6]) {
  const __m512i idx = _mm512_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28, 0, 4, 8, 12, 16, 20, 24, 28);
  const __mmask16 upper = 0xFF00;
  for (int j = 0; j < 6; j++) {
    if (g == 2) {  // a row's 8 tiles span 32 columns: two loads per row
      const float* r0 = rows[0] + at + j;
      const float* r1 = rows[1] + at + j;
      d[j] = _mm512_mask_blend_ps(upper, _mm512_permutex2var_ps(_mm512_loadu_ps(r0), idx, _mm512_loadu_ps(r0 + 16)),
                                  _mm512_permutex2var_ps(_mm512_loadu_ps(r1), idx, _mm512_loadu_ps(r1 + 16)));
    } else {  // a row's 4 tiles span 16 columns: rows 0, 1 and 2, 3 permuted together
      d[j] = _mm512_mask_blend_ps(upper, _mm512_permutex2var_ps(_mm512_loadu_ps(rows[0] + at + j), idx, _mm512_loadu_ps(rows[1] + at + j)),
                                  _mm512_permutex2var_ps(_mm512_loadu_ps(rows[2] + at + j), idx, _mm512_loadu_ps(rows[3] + at + j)));
    }
  }
}

// V^T = B^T d B for one group of 16 lanes: rows[q][i] is input row i of the group's tile row q; position
// p of channel c goes to v[p * ps + c * vs + col0 + lane]. Lanes past a row's tiles read the planar rows'
// zero or neighbouring columns (finite) and are dropped later.
__attribute__((target("avx512f"))) void input_tiles(const ConvShape& s, const float* const rows[4][6], int g, int wp, float* v, Index ps, Index vs,
                                                    int col0) {
  for (int c = 0; c < s.ci; c++) {
    __m512 d[6][6], t[6][6];
    for (int i = 0; i < 6; i++) {
      const float* src[4] = {rows[0][i], rows[1][i], rows[g > 2 ? 2 : 0][i], rows[g > 2 ? 3 : 0][i]};
      tile_columns(src, g, static_cast<Index>(c) * wp, d[i]);
    }
    for (int j = 0; j < 6; j++) {  // down each column: t[.][j] = B^T d[.][j]
      __m512 col[6], out[6];
      for (int i = 0; i < 6; i++) col[i] = d[i][j];
      input_1d(col, out);
      for (int i = 0; i < 6; i++) t[i][j] = out[i];
    }
    float* o = v + static_cast<Index>(c) * vs + col0;
    for (int i = 0; i < 6; i++) {  // along each row: V[i][.] = t[i][.] B
      __m512 out[6];
      input_1d(t[i], out);
      for (int j = 0; j < 6; j++) _mm512_storeu_ps(o + static_cast<Index>(i * 6 + j) * ps, out[j]);
    }
  }
}

// Y = A^T M A for one group (input_tiles' lanes), 16 lanes of one filter at a time: position p of filter
// o at m[p * ps + o * ms + col0 + lane]; output row dy of the group's tile row q goes channel-planar to
// out[q * slot + dy * co * owp + o * owp] (columns 4t .. 4t + 3 of tile t).
__attribute__((target("avx512f"))) void output_tiles(const ConvShape& s, const float* mt, Index ps, Index ms, int col0, int g, int owp, float* out,
                                                     Index slot) {
  const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const __m512i hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  const __m512i quad_lo = _mm512_setr_epi32(0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
  const __m512i quad_hi = _mm512_setr_epi32(8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31);
  const Index plane = static_cast<Index>(s.co) * owp;
  const int per_row = 4 / g;  // 16-column vectors per tile row: 2 (G = 2) or 1 (G = 4)
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
      for (int k = 0; k < 4; k++) _mm512_storeu_ps(o0 + (k / per_row) * slot + 16 * (k % per_row), quads[k]);
    }
  }
}
#endif

#ifdef WB_WINOGRAD_TILE_PARTS_X86
// F(4x4, 3x3) over 16 tiles for winograd_tiles_run: 16 lanes hold G = 2 tile rows of up to 8 tiles or 4
// of up to 4 (a group). About 64 tiles per task (V and M ~36 x (ci + co) x 64 floats; 96 as in
// winograd_pruned.cc measured 1.1-1.2x slower at batch 32, 32 no faster).
struct F43Avx512 {
  static constexpr int kOut = 4, kLanes = 16, kMaxGroup = 4, kPanel = winograd_tile_parts::kPanel;
  static constexpr int kSlots = 24;  // planar input rows held per task (a group of 4 tile rows reads 18)
  static TileGeometry geometry(const ConvShape& s) {
    const int tiles_x = (s.ow + 3) / 4;
    const int group = tiles_x > 4 ? 2 : 4;
    // planar output row: 16 / G tiles of 4 columns; planar input row: maps up to 34 wide, a group's
    // loads reach column 4 * 7 + 5 + 31 = 36
    return {tiles_x, (s.oh + 3) / 4, group, 16, 48, 64 / group, 64};
  }
  static int block_rows(int co) { return winograd_tile_parts::block_rows(co); }
  static RowsKernel kernel(int rows) { return kRowsKernels[static_cast<std::size_t>(rows)]; }
  static void inputs(const ConvShape& s, const float* const rows[4][6], int g, int wp, int, float* v, Index ps, Index vs, int col0) {
    input_tiles(s, rows, g, wp, v, ps, vs, col0);
  }
  static void outputs(const ConvShape& s, const float* mt, Index ps, Index ms, int col0, int g, int, int owp, float* out, Index slot) {
    output_tiles(s, mt, ps, ms, col0, g, owp, out, slot);
  }
  static constexpr auto filter = &transform_filter;
  static constexpr auto planar = &planar_row;
  static constexpr auto fused = &fused_row;
  static constexpr auto transpose = &transpose16;
};
#endif

}  // namespace

int winograd_f43_pruned_min_batch(const ConvShape& s) {
  (void)s;
  return switch_threshold("WORKBENCH_NATIVE_WINOGRAD_F43_MIN_BATCH", 2);
}

bool winograd_f43_pruned_applies(const ConvShape& s) {
  const int tiles_x = (s.ow + 3) / 4;
  return switch_on("WORKBENCH_NATIVE_WINOGRAD_F43") && tiles_x >= 3 && tiles_x <= 8 && s.n >= winograd_f43_pruned_min_batch(s) &&
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
