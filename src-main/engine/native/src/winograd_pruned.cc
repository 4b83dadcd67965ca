#include "winograd_pruned.h"

#include <algorithm>
#include <cstring>

#include "env_switch.h"
#include "gemm.h"
#include "winograd.h"
#include "winograd_tile_parts.h"
#include "winograd_tiles_driver.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define WB_WINOGRAD_PRUNED_X86 1
#include <immintrin.h>
#endif

namespace wb {

using Index = std::ptrdiff_t;

namespace {

using namespace winograd_tile_parts;

constexpr int kPositions = 16;  // a transformed tile is 4x4

// WORKBENCH_NATIVE_WINOGRAD=0 turns every Winograd path off, WORKBENCH_NATIVE_WINOGRAD_PRUNED=0 this one.
bool enabled() { return switch_on("WORKBENCH_NATIVE_WINOGRAD") && switch_on("WORKBENCH_NATIVE_WINOGRAD_PRUNED"); }

// U^T per position in filter blocks (filter_blocks), U from winograd_filter_tile (winograd.cc's values).
void transform_filter(const ConvShape& s, const float* w, int c, int rows, float* ut) {
  filter_blocks<kPositions>(s, c, rows, ut, [&](int o, float* u) { winograd_filter_tile(w, s.ci, s.co, c, o, u); });
}

#ifdef WB_WINOGRAD_PRUNED_X86
// d[j] for 16 tiles at one input row i of channel c: column 2t + j of the tile's rows. G = 1: tiles
// tx0 .. tx0 + 15 of one tile row (rows[0]); G = 2 / 4: lanes 8q .. / 4q .. hold tile row q's first tiles.
__attribute__((target("avx512f"))) inline void tile_columns(const float* const rows[4], int g, Index at, __m512 d[4]) {
  if (g == 1) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    const float* r = rows[0] + at;
    const __m512 a = _mm512_loadu_ps(r), b = _mm512_loadu_ps(r + 16), a2 = _mm512_loadu_ps(r + 2), b2 = _mm512_loadu_ps(r + 18);
    d[0] = _mm512_permutex2var_ps(a, even, b);
    d[1] = _mm512_permutex2var_ps(a, odd, b);
    d[2] = _mm512_permutex2var_ps(a2, even, b2);
    d[3] = _mm512_permutex2var_ps(a2, odd, b2);
  } else if (g == 2) {  // lane l < 8: row 0's column 2l (+ 1), lane l >= 8: row 1's column 2(l - 8) (+ 1)
    const __m512i ev = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i od = _mm512_add_epi32(ev, _mm512_set1_epi32(1));
    const __m512 a = _mm512_loadu_ps(rows[0] + at), b = _mm512_loadu_ps(rows[1] + at);
    const __m512 a2 = _mm512_loadu_ps(rows[0] + at + 2), b2 = _mm512_loadu_ps(rows[1] + at + 2);
    d[0] = _mm512_permutex2var_ps(a, ev, b);
    d[1] = _mm512_permutex2var_ps(a, od, b);
    d[2] = _mm512_permutex2var_ps(a2, ev, b2);
    d[3] = _mm512_permutex2var_ps(a2, od, b2);
  } else {  // lanes 4q .. 4q + 3: row q's columns 0, 2, 4, 6 (+ 1); rows 0, 1 and 2, 3 permuted apart, blended
    const __m512i ev = _mm512_setr_epi32(0, 2, 4, 6, 16, 18, 20, 22, 0, 2, 4, 6, 16, 18, 20, 22);
    const __m512i od = _mm512_add_epi32(ev, _mm512_set1_epi32(1));
    const __m512 a = _mm512_loadu_ps(rows[0] + at), b = _mm512_loadu_ps(rows[1] + at);
    const __m512 c = _mm512_loadu_ps(rows[2] + at), e = _mm512_loadu_ps(rows[3] + at);
    const __m512 a2 = _mm512_loadu_ps(rows[0] + at + 2), b2 = _mm512_loadu_ps(rows[1] + at + 2);
    const __m512 c2 = _mm512_loadu_ps(rows[2] + at + 2), e2 = _mm512_loadu_ps(rows[3] + at + 2);
    const __mmask16 upper = 0xFF00;
    d[0] = _mm512_mask_blend_ps(upper, _mm512_permutex2var_ps(a, ev, b), _mm512_permutex2var_ps(c, ev, e));
    d[1] = _mm512_mask_blend_ps(upper, _mm512_permutex2var_ps(a, od, b), _mm512_permutex2var_ps(c, od, e));
    d[2] = _mm512_mask_blend_ps(upper, _mm512_permutex2var_ps(a2, ev, b2), _mm512_permutex2var_ps(c2, ev, e2));
    d[3] = _mm512_mask_blend_ps(upper, _mm512_permutex2var_ps(a2, od, b2), _mm512_permutex2var_ps(c2, od, e2));
  }
}

// V^T = B^T d B for one group of tiles, winograd.cc's operations in its order: rows[q][i] is input row i
// of the group's tile row q (G of them, 16 / G tiles each) or, for G = 1, of its one tile row (tiles_x
// tiles, 16 at a time); position p of the group's lane t for channel c goes to v[p * ps + c * vs + col0 + t].
// Lanes past a row's tiles compute from the planar rows' zero columns and are dropped later.
__attribute__((target("avx512f"))) void input_tiles(const ConvShape& s, const float* const rows[4][4], int g, int wp, int tiles_x, float* v, Index ps,
                                                    Index vs, int col0) {
  const int vectors = g == 1 ? (tiles_x + 15) / 16 : 1;
  for (int c = 0; c < s.ci; c++)
    for (int k = 0; k < vectors; k++) {
      __m512 t[4][4];
      __m512 d[4][4];
      for (int i = 0; i < 4; i++) {
        const float* src[4] = {rows[0][i], rows[g > 1 ? 1 : 0][i], rows[g > 2 ? 2 : 0][i], rows[g > 2 ? 3 : 0][i]};
        tile_columns(src, g, static_cast<Index>(c) * wp + 32 * k, d[i]);
      }
      for (int j = 0; j < 4; j++) {
        t[0][j] = _mm512_sub_ps(d[0][j], d[2][j]);
        t[1][j] = _mm512_add_ps(d[1][j], d[2][j]);
        t[2][j] = _mm512_sub_ps(d[2][j], d[1][j]);
        t[3][j] = _mm512_sub_ps(d[1][j], d[3][j]);
      }
      float* out = v + static_cast<Index>(c) * vs + col0 + 16 * k;
      for (int i = 0; i < 4; i++) {
        float* o = out + static_cast<Index>(i * 4) * ps;
        _mm512_storeu_ps(o, _mm512_sub_ps(t[i][0], t[i][2]));
        _mm512_storeu_ps(o + ps, _mm512_add_ps(t[i][1], t[i][2]));
        _mm512_storeu_ps(o + 2 * ps, _mm512_sub_ps(t[i][2], t[i][1]));
        _mm512_storeu_ps(o + 3 * ps, _mm512_sub_ps(t[i][1], t[i][3]));
      }
    }
}

// Y = A^T M A for one group of tiles (input_tiles' lanes), winograd.cc's operations in its order, 16
// lanes of one filter at a time: position p of filter o at m[p * ps + o * ms + col0 + lane]; the two
// output rows of the group's tile row q go channel-planar to out[q * slot + dy * co * owp + o * owp]
// (columns 2t, 2t + 1 interleaved).
__attribute__((target("avx512f"))) void output_tiles(const ConvShape& s, const float* mt, Index ps, Index ms, int col0, int g, int tiles_x, int owp,
                                                     float* out, Index slot) {
  const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const __m512i hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  const Index plane = static_cast<Index>(s.co) * owp;
  const int vectors = g == 1 ? (tiles_x + 15) / 16 : 1;
  for (int o = 0; o < s.co; o++)
    for (int k = 0; k < vectors; k++) {
      const float* src = mt + static_cast<Index>(o) * ms + col0 + 16 * k;
      __m512 r[4][2];
      for (int i = 0; i < 4; i++) {
        const float* q = src + static_cast<Index>(i * 4) * ps;
        const __m512 a0 = _mm512_loadu_ps(q), a1 = _mm512_loadu_ps(q + ps);
        const __m512 a2 = _mm512_loadu_ps(q + 2 * ps), a3 = _mm512_loadu_ps(q + 3 * ps);
        r[i][0] = _mm512_add_ps(_mm512_add_ps(a0, a1), a2);
        r[i][1] = _mm512_sub_ps(_mm512_sub_ps(a1, a2), a3);
      }
      const __m512 y00 = _mm512_add_ps(_mm512_add_ps(r[0][0], r[1][0]), r[2][0]);
      const __m512 y01 = _mm512_add_ps(_mm512_add_ps(r[0][1], r[1][1]), r[2][1]);
      const __m512 y10 = _mm512_sub_ps(_mm512_sub_ps(r[1][0], r[2][0]), r[3][0]);
      const __m512 y11 = _mm512_sub_ps(_mm512_sub_ps(r[1][1], r[2][1]), r[3][1]);
      const __m512 rows[2][2] = {{_mm512_permutex2var_ps(y00, lo, y01), _mm512_permutex2var_ps(y00, hi, y01)},
                                 {_mm512_permutex2var_ps(y10, lo, y11), _mm512_permutex2var_ps(y10, hi, y11)}};
      for (int dy = 0; dy < 2; dy++) {
        float* o0 = out + dy * plane + static_cast<Index>(o) * owp;
        if (g == 1) {
          _mm512_storeu_ps(o0 + 32 * k, rows[dy][0]);
          _mm512_storeu_ps(o0 + 32 * k + 16, rows[dy][1]);
        } else if (g == 2) {
          _mm512_storeu_ps(o0, rows[dy][0]);
          _mm512_storeu_ps(o0 + slot, rows[dy][1]);
        } else {
          for (int h = 0; h < 2; h++) {
            _mm256_storeu_ps(o0 + (2 * h) * slot, _mm512_castps512_ps256(rows[dy][h]));
            _mm256_storeu_ps(o0 + (2 * h + 1) * slot, _mm512_castps512_ps256(_mm512_shuffle_f32x4(rows[dy][h], rows[dy][h], 0xEE)));
          }
        }
      }
    }
}

#endif


#ifdef WB_WINOGRAD_PRUNED_X86
// F(2x2, 3x3) over 16 tiles for winograd_tiles_run: tile rows of under 16 tiles share vectors, G = 2
// rows of up to 8 tiles or 4 of up to 4 per 16 lanes (a group); a longer row's tiles take 16 * vectors_x
// columns of V and M. About 96 tiles per task, as winograd.cc.
struct F23Avx512 {
  static constexpr int kOut = 2, kLanes = 16, kMaxGroup = 4, kPanel = winograd_tile_parts::kPanel;
  static constexpr int kSlots = 16;  // planar input rows held per task (a group reads at most 2 * 4 + 2)
  static TileGeometry geometry(const ConvShape& s) {
    const int tiles_x = (s.ow + 1) / 2, vectors_x = (tiles_x + 15) / 16;
    const int group = tiles_x > 8 ? 1 : tiles_x > 4 ? 2 : 4;
    // planar input row: the loads of the last 16 tiles reach column 32 * vectors_x + 1
    return {tiles_x, (s.oh + 1) / 2, group, group == 1 ? 16 * vectors_x : 16, 32 * vectors_x + 16, 32 * vectors_x, 96};
  }
  static int block_rows(int co) { return winograd_tile_parts::block_rows(co); }
  static RowsKernel kernel(int rows) { return kRowsKernels[static_cast<std::size_t>(rows)]; }
  static constexpr auto filter = &transform_filter;
  static constexpr auto planar = &planar_row;
  static constexpr auto inputs = &input_tiles;
  static constexpr auto outputs = &output_tiles;
  static constexpr auto fused = &fused_row;
  static constexpr auto transpose = &transpose16;
};
#endif

}  // namespace

int winograd_pruned_min_batch(const ConvShape& s) {
  // Measured crossovers (one thread, CPU time per call of each 30%-pruned CIFAR ResNet layer,
  // conv-layer-ab.ts --inference, this path against WORKBENCH_NATIVE_WINOGRAD_PRUNED=0):
  //   batch 1: mixed: stage-1 tail 0.042 -> 0.035 ms, stage-2 tail 0.032 -> 0.029, but stage-1 conv1
  //            0.040 -> 0.046, stage-3 conv1 0.044 -> 0.065 (the filter transform and one panel of
  //            mostly empty lanes per call): the direct conv stays;
  //   batch 2: every pruned layer as fast or faster (stage-3 tail 0.066 -> 0.053, conv1 0.082 -> 0.069,
  //            stage-1 conv1 0.078 -> 0.077); batch 8: 1.05-1.48x; batch 32: 1.18-1.61x.
  // The same crossover for the 12-, 23- and 45-filter widths, so one threshold.
  (void)s;
  return switch_threshold("WORKBENCH_NATIVE_WINOGRAD_PRUNED_MIN_BATCH", 2);
}

bool winograd_pruned_applies(const ConvShape& s) {
#ifdef WB_WINOGRAD_PRUNED_X86
  // Filter counts that fill at least 90% of their 16-channel vectors (45 of 48) lose little to
  // winograd.cc's padding: from its pruned threshold on (64 images) its channel-vectorised GEMMs
  // measured faster (stage-3 conv1 64 -> 45: batch 64 1.51 -> 1.42 ms, batch 128 2.97 -> 2.62; the
  // tail 45 -> 64 1.11 -> 1.15 and 2.56 -> 2.34), so it keeps them there (the same bits either way).
  // At 32 images they were even (0.754 / 0.714 ms, 0.569 / 0.572), where winograd.cc does not run.
  const int padded = (s.co + 15) / 16 * 16;
  if (s.co * 10 >= padded * 9 && winograd_applies(s)) return false;
  return enabled() && winograd_shape(s, 4) && s.co % 16 != 0 && s.n >= winograd_pruned_min_batch(s) && std::strcmp(microkernel().name, "avx512f") == 0;
#else
  (void)s;
  return false;
#endif
}

bool winograd_pruned_fuses(const Epilogue* ep) { return ep != nullptr && (ep->scatter == nullptr || ep->gather != nullptr); }

void winograd_pruned_conv2d(const ConvShape& s, const float* x, const float* w, RowSink& sink, const Epilogue* ep, float* y) {
#ifdef WB_WINOGRAD_PRUNED_X86
  winograd_tiles_run<F23Avx512>(s, x, w, sink, ep, y, y != nullptr && winograd_pruned_fuses(ep));
#else
  (void)s, (void)x, (void)w, (void)sink, (void)ep, (void)y;
#endif
}

}  // namespace wb
