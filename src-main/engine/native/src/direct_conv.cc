#include "direct_conv.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#include "env_switch.h"
#include "gemm.h"
#include "thread_pool.h"
#include "avx2_transpose.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define WB_X86 1
#include <immintrin.h>
#endif

namespace wb {
namespace {

using Index = std::ptrdiff_t;

// The fused epilogue of one channel tile (direct_conv_fuses): applied to the segment's
// accumulators instead of storing them for a later pass.
//   identity (no scatter): y[p, c0 + t] = max(lo, ((conv + bias) + map) + res), channels c0 .. c0+NC
//   gather: y[p, c] = max(lo, (res[c] + bias[c]) + (g[c] in tile ? conv[g[c]] + map[g[c]] : 0)) for
//   the lanes this tile owns (its kept channels; tile 0 also the channels no conv channel lands on)
// the same operations in the same order as apply_epilogue in kernels/conv2d_ex.cc.
struct FusedOut {
  bool gather;
  // The constant-input map at the segment's first pixel and the tile's channel c0: AVX-512 reads a
  // channel-planar copy (map_stride floats between channels), AVX2 the map itself, pixel-major
  // (map_stride floats between pixels: co, or 0 for the zeros when there is no map).
  const float* map;
  Index map_stride;
  const float* bias; // identity: bias + c0 (one scalar per channel); gather: the [channels] row
  const float* res;  // residual at the segment's first pixel (identity: + c0); `zeros` when absent
  Index res_stride;  // floats between pixels in `res` (0 when absent)
  float* y;          // output at the segment's first pixel (identity: + c0)
  Index ldy;         // floats between pixels in y (the output width)
  int vectors;       // gather: 16-channel vectors per output pixel
  const int* idx;    // gather: per vector, 16 lanes of g[c] - c0 (0 where not kept)
  const unsigned short* kept;   // gather: per vector, lanes whose conv channel is in this tile
  const unsigned short* owned;  // gather: per vector, lanes this tile writes
  // gather on AVX2: the output channels this tile writes (own_c) and the tile channel each reads
  // (own_j = g[c] - c0, or -1 for bias + residual only), own_n of them
  const int* own_c;
  const int* own_j;
  int own_n;
  // gather on AVX2 with whole 8-channel output blocks (cw % 8 == 0; else the lists above): per block,
  // 8 lanes of the tile channel read (0 where none), kept (-1 where a tile channel lands) and owned
  // (-1 where this tile writes: kept, and in tile 0 the bias + residual only lanes)
  int blocks8;
  const int* idx8;
  const int* kept8;
  const int* owned8;
  // gather on AVX2 through a segment row buffer (rows != null): each tile stores its pixels' conv +
  // map values at c0 of a pixel-major buffer (row_ld floats a pixel), and the last tile of the
  // segment writes every output block once from it: block k reads the 8 buffer floats from
  // first8[k], moves them with win_idx8 and keeps the lanes win_kept8 marks (-1)
  float* rows;
  int row_ld;
  int c0;
  bool last_tile;
  const int* first8;
  const int* win_idx8;
  const int* win_kept8;
  float lo;          // 0 with ReLU, else -inf
  int ahead;         // > 0: prefetch the residual and output rows this many pixels ahead (0: none)
};

// The fused epilogue reads the residual and writes the output once per pixel, between long runs of
// FMAs: the hardware prefetcher left those lines to come from L3/memory on demand (measured: a
// block tail's epilogue cost a quarter of its conv). Requested a pair of segments ahead instead.
__attribute__((always_inline)) inline void prefetch_pixel(const FusedOut* f, int p) {
  if (f->ahead == 0) return;
  __builtin_prefetch(f->res + static_cast<Index>(p + f->ahead) * f->res_stride, 0, 3);
  __builtin_prefetch(f->y + static_cast<Index>(p + f->ahead) * f->ldy, 1, 3);
}

// One segment of 16 output pixels x NC output channels:
//   out[p * ldo + t] = sum_{i, j, c} xt(i)[c * L + joff[j] + p] * w[((i0 + i) * kw + j) * ci + c][c0 + t]
// where xt(i) = xrow + i * tap_stride is the channel-planar input row of tap row i0 + i, already
// offset to the segment's first pixel (for stride 2 the row is stored as its even columns, then its
// odd ones, so that 16 output pixels read 16 consecutive floats per tap too: joff[j]). The NC
// accumulators stay in registers for the whole sum.
struct Segment {
  const float* xrow;
  Index tap_stride;  // floats between consecutive input rows in xt (ci * L)
  int taps;          // filter rows whose input row lies inside the image
  int i0;            // first such filter row
  int kw, ci;
  Index L;           // floats per channel row in xt
  const int* joff;   // [kw]: column offset of tap j in a channel row
  const float* w;    // filter [kh, kw, ci, co], offset to channel c0
  int co;
  const FusedOut* fused;  // null: store the conv values (rows of NC channels at out, stride ldo)
  // AVX2: finish from the accumulators transposed in registers (8 x 8 blocks) instead of through a
  // staging tile (WORKBENCH_NATIVE_DIRECT_AVX2_TRANSPOSE=0, read per call)
  bool transpose;
};

// Computes one segment and writes its first `used` pixels as rows of NC channels (row stride ldo).
using SegmentFn = void (*)(const Segment&, float* out, Index ldo, int used);

#ifdef WB_X86
// In-register transpose of a 16 x 16 block: r[i] lane j <- r[j] lane i.
__attribute__((target("avx512f"))) inline void transpose16(__m512 r[16]) {
  __m512 t[16], u[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    u[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
    u[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xEE);
    u[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    u[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
  }
  for (int i = 0; i < 16; i += 8)
    for (int j = 0; j < 4; j++) {
      t[i + j] = _mm512_shuffle_f32x4(u[i + j], u[i + j + 4], 0x88);
      t[i + j + 4] = _mm512_shuffle_f32x4(u[i + j], u[i + j + 4], 0xdd);
    }
  for (int j = 0; j < 8; j++) {
    r[j] = _mm512_shuffle_f32x4(t[j], t[j + 8], 0x88);
    r[j + 8] = _mm512_shuffle_f32x4(t[j], t[j + 8], 0xdd);
  }
}

inline __mmask16 lanes(int n) { return static_cast<__mmask16>(n >= 16 ? 0xFFFF : (1u << n) - 1); }

// Stores one segment's accumulators (acc[t]: channel t of 16 pixels), or applies the fused epilogue.
template <int NC>
__attribute__((target("avx512f"))) inline void finish16(__m512 acc[16], const FusedOut* f, float* out, Index ldo, int used) {
  const __mmask16 m = lanes(NC);
  if (f == nullptr) {
    // acc[t] holds channel t of 16 pixels; transposed, acc[p] holds the NC channels of pixel p.
    transpose16(acc);
    for (int p = 0; p < used; p++) _mm512_mask_storeu_ps(out + p * ldo, m, acc[p]);
    return;
  }
  // Per-channel terms while acc[t] is still one channel over 16 pixels (the map is channel-planar).
  if (!f->gather)
    for (int t = 0; t < NC; t++) acc[t] = _mm512_add_ps(acc[t], _mm512_set1_ps(f->bias[t]));
  for (int t = 0; t < NC; t++) acc[t] = _mm512_add_ps(acc[t], _mm512_loadu_ps(f->map + t * f->map_stride));
  transpose16(acc);
  const __m512 low = _mm512_set1_ps(f->lo);
  if (!f->gather) {
    for (int p = 0; p < used; p++) {
      prefetch_pixel(f, p);
      const __m512 t = _mm512_add_ps(acc[p], _mm512_maskz_loadu_ps(m, f->res + p * f->res_stride));
      _mm512_mask_storeu_ps(f->y + p * f->ldy, m, _mm512_max_ps(low, t));  // max(low, NaN) is NaN, as TF.js's ReLU
    }
    return;
  }
  for (int p = 0; p < used; p++) {
    prefetch_pixel(f, p);
    const float* res = f->res + p * f->res_stride;
    float* y = f->y + p * f->ldy;
    for (int k = 0; k < f->vectors; k++) {
      const __mmask16 own = f->owned[k];
      if (own == 0) continue;
      const __m512i idx = _mm512_loadu_si512(f->idx + 16 * k);
      const __m512 v = _mm512_maskz_permutexvar_ps(f->kept[k], idx, acc[p]);
      const __m512 rb = _mm512_add_ps(_mm512_maskz_loadu_ps(own, res + 16 * k), _mm512_maskz_loadu_ps(own, f->bias + 16 * k));
      _mm512_mask_storeu_ps(y + 16 * k, own, _mm512_max_ps(low, _mm512_add_ps(rb, v)));
    }
  }
}

template <int NC>
__attribute__((target("avx512f"))) void segment16(const Segment& g, float* out, Index ldo, int used) {
  __m512 acc[16];
  for (int t = 0; t < 16; t++) acc[t] = _mm512_setzero_ps();
  for (int i = 0; i < g.taps; i++) {
    const float* xr = g.xrow + i * g.tap_stride;
    const float* wi = g.w + static_cast<Index>(g.i0 + i) * g.kw * g.ci * g.co;
    for (int j = 0; j < g.kw; j++) {
      const float* xj = xr + g.joff[j];
      for (int c = 0; c < g.ci; c++) {
        const __m512 v = _mm512_loadu_ps(xj + c * g.L);
        const float* wk = wi + static_cast<Index>(j * g.ci + c) * g.co;
#pragma GCC unroll 16
        for (int t = 0; t < NC; t++) acc[t] = _mm512_fmadd_ps(_mm512_set1_ps(wk[t]), v, acc[t]);
      }
    }
  }
  finish16<NC>(acc, g.fused, out, ldo, used);
}

// Two adjacent segments (32 pixels of one row, `used` > 16) in one pass over the filter: each
// broadcast filter value feeds two FMAs (2 x NC accumulators, so NC <= 12 to stay in registers).
// The same FMAs in the same order per output as segment16: the same bits.
template <int NC>
__attribute__((target("avx512f"))) void segment32(const Segment& g, float* out, Index ldo, int used) {
  __m512 acc[16], acc2[16];
  for (int t = 0; t < 16; t++) acc[t] = acc2[t] = _mm512_setzero_ps();
  for (int i = 0; i < g.taps; i++) {
    const float* xr = g.xrow + i * g.tap_stride;
    const float* wi = g.w + static_cast<Index>(g.i0 + i) * g.kw * g.ci * g.co;
    for (int j = 0; j < g.kw; j++) {
      const float* xj = xr + g.joff[j];
      for (int c = 0; c < g.ci; c++) {
        const __m512 v = _mm512_loadu_ps(xj + c * g.L);
        const __m512 v2 = _mm512_loadu_ps(xj + c * g.L + 16);
        const float* wk = wi + static_cast<Index>(j * g.ci + c) * g.co;
#pragma GCC unroll 16
        for (int t = 0; t < NC; t++) {
          const __m512 b = _mm512_set1_ps(wk[t]);
          acc[t] = _mm512_fmadd_ps(b, v, acc[t]);
          acc2[t] = _mm512_fmadd_ps(b, v2, acc2[t]);
        }
      }
    }
  }
  finish16<NC>(acc, g.fused, out, ldo, 16);
  if (g.fused == nullptr) {
    finish16<NC>(acc2, nullptr, out + 16 * ldo, ldo, used - 16);
    return;
  }
  FusedOut f = *g.fused;  // the second segment: 16 pixels further
  f.map += 16;
  f.res += 16 * f.res_stride;
  f.y += 16 * f.ldy;
  finish16<NC>(acc2, &f, nullptr, ldo, used - 16);
}

constexpr int kMaxTile = 16;

template <int... I>
constexpr std::array<SegmentFn, sizeof...(I)> segment_table(std::integer_sequence<int, I...>) {
  return {&segment16<I + 1>...};
}
const std::array<SegmentFn, kMaxTile> kSegment = segment_table(std::make_integer_sequence<int, kMaxTile>{});
constexpr int kMaxPairTile = 12;
template <int... I>
constexpr std::array<SegmentFn, sizeof...(I)> pair_table(std::integer_sequence<int, I...>) {
  return {&segment32<I + 1>...};
}
const std::array<SegmentFn, kMaxPairTile> kSegmentPair = pair_table(std::make_integer_sequence<int, kMaxPairTile>{});

// AVX2 + FMA: 16 output pixels per segment as two 8-pixel vectors, tiles of at most 6 filters (12
// accumulators, the two input vectors and the broadcast fit the 16 ymm registers; each broadcast
// filter value feeds two FMAs, so 8 loads per 12 FMAs as in the AVX2 GEMM microkernel). No masked
// stores (slow on some AMD cores): the accumulators go to a staging tile with plain full-width
// stores, then to the rows of NC channels with scalar copies, or with the fused epilogue applied
// on the way (finish_stage_avx2; WORKBENCH_NATIVE_DIRECT_AVX2_FUSED=0: the rows go to the sink and
// apply_epilogue).
constexpr int kMaxTileAvx2 = 6;

// Named accumulators (an array of them was kept on the stack: a store after every FMA).
#define WB_ACC8(k) __m256 a##k = _mm256_setzero_ps(), b##k = _mm256_setzero_ps();
#define WB_FMA8(k)                                       \
  if constexpr (NC > k) {                                \
    const __m256 f = _mm256_broadcast_ss(wk + k);        \
    a##k = _mm256_fmadd_ps(f, v, a##k);                  \
    b##k = _mm256_fmadd_ps(f, v2, b##k);                 \
  }
// conv + bias per channel, as apply_epilogue sums first (gather: the bias comes later; the map is
// added per pixel in finish_stage_avx2).
#define WB_EPI8(k)                               \
  if constexpr (NC > k) {                        \
    if (!f.gather) {                             \
      const __m256 bb = _mm256_set1_ps(f.bias[k]); \
      a##k = _mm256_add_ps(a##k, bb);            \
      b##k = _mm256_add_ps(b##k, bb);            \
    }                                            \
  }
#define WB_STAGE8(k)                      \
  if constexpr (NC > k) {                 \
    _mm256_store_ps(stage[k], a##k);      \
    _mm256_store_ps(stage[k] + 8, b##k);  \
  }

// The fused epilogue on AVX2 (direct_conv_fuses): the bias added to the accumulators while each
// is one channel over 8 pixels, the staged values then finished per pixel with scalar code, the map
// read pixel-major where it lies (no per-call channel-planar copy of it: at batch 1 that copy cost
// more than the fusion saved) (a few
// operations per output against kh * kw * ci FMAs): the same operations in the same order as
// apply_epilogue, so the same bits. (t < lo ? lo : t keeps NaN, as TF.js's ReLU.)
// The gathered epilogue 8 output channels at a time: pixel p's NC tile values (conv + map) as one
// vector (a gather from the staging tile, in L1), moved to their output lanes with a permute, then
// (res + bias) + that, ReLU, and a blend into y that keeps the lanes other tiles write (read,
// blend, full store: plain stores only; the block lies inside pixel p's row, which only this task
// writes). The same operations per output as the scalar form: the same bits.
// One pixel of the gathered epilogue, 8 output channels at a time: `v` holds the pixel's tile
// values (conv + map) in lanes 0 .. NC-1, zeros above.
__attribute__((target("avx2,fma"))) inline void gather_pixel_avx2(const FusedOut& f, int p, __m256 v, __m256 low) {
  const float* res = f.res + p * f.res_stride;
  float* y = f.y + p * f.ldy;
  for (int k = 0; k < f.blocks8; k++) {
    const __m256 own = _mm256_castsi256_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(f.owned8 + 8 * k)));
    if (_mm256_movemask_ps(own) == 0) continue;
    const __m256i idx = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(f.idx8 + 8 * k));
    const __m256 kept = _mm256_castsi256_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(f.kept8 + 8 * k)));
    const __m256 moved = _mm256_and_ps(kept, _mm256_permutevar8x32_ps(v, idx));
    const __m256 t = _mm256_add_ps(_mm256_add_ps(_mm256_loadu_ps(res + 8 * k), _mm256_loadu_ps(f.bias + 8 * k)), moved);
    const __m256 out = _mm256_max_ps(low, t);  // max(low, NaN) is NaN, as TF.js's ReLU
    _mm256_storeu_ps(y + 8 * k, _mm256_blendv_ps(_mm256_loadu_ps(y + 8 * k), out, own));
  }
}

template <int NC>
__attribute__((target("avx2,fma"))) inline __m256i tile_lanes_avx2() {
  return lanes_avx2(NC);
}

template <int NC>
__attribute__((target("avx2,fma"))) void finish_gather_avx2(const float (*stage)[16], const FusedOut& f, int used) {
  const __m256 low = _mm256_set1_ps(f.lo);
  const __m256i tile_lanes = tile_lanes_avx2<NC>();
  const __m256i column = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(16));
  const float* base = &stage[0][0];
  for (int p = 0; p < used; p++) {
    prefetch_pixel(&f, p);
    const __m256 conv = _mm256_mask_i32gather_ps(_mm256_setzero_ps(), base, _mm256_add_epi32(column, _mm256_set1_epi32(p)),
                                                 _mm256_castsi256_ps(tile_lanes), 4);
    gather_pixel_avx2(f, p, _mm256_add_ps(conv, _mm256_maskload_ps(f.map + p * f.map_stride, tile_lanes)), low);
  }
}

// Lanes 0 .. N-1 of v to p (N < 8) with plain 16-, 8- and 4-byte stores (no masked store).
template <int N>
__attribute__((target("avx2,fma"))) inline void store_lanes(float* p, __m256 v) {
  __m128 part = _mm256_castps256_ps128(v);
  if constexpr (N >= 4) {
    _mm_storeu_ps(p, part);
    part = _mm256_extractf128_ps(v, 1);
    p += 4;
  }
  constexpr int M = N >= 4 ? N - 4 : N;
  if constexpr (M == 1) _mm_store_ss(p, part);
  if constexpr (M >= 2) _mm_storel_pi(reinterpret_cast<__m64*>(p), part);
  if constexpr (M == 3) _mm_store_ss(p + 2, _mm_movehl_ps(part, part));
}

// The segment's finish from registers: r[p] holds pixel p's NC tile values (conv, + bias for an
// identity epilogue) in lanes 0 .. NC-1, zeros above (the 8 x 8 transposes of the accumulators).
// The same operations per output as finish_stage_avx2 and the plain copy: the same bits.
template <int NC>
__attribute__((target("avx2,fma"))) void finish_regs_avx2(const __m256* r, const FusedOut* f, float* out, Index ldo, int used) {
  if (f == nullptr) {
    for (int p = 0; p < used; p++) store_lanes<NC>(out + p * ldo, r[p]);
    return;
  }
  const __m256 low = _mm256_set1_ps(f->lo);
  const __m256i tile_lanes = tile_lanes_avx2<NC>();
  if (!f->gather) {
    for (int p = 0; p < used; p++) {
      prefetch_pixel(f, p);
      const __m256 v = _mm256_add_ps(_mm256_add_ps(r[p], _mm256_maskload_ps(f->map + p * f->map_stride, tile_lanes)),
                                     _mm256_maskload_ps(f->res + p * f->res_stride, tile_lanes));
      store_lanes<NC>(f->y + p * f->ldy, _mm256_max_ps(low, v));  // max(low, NaN) is NaN, as TF.js's ReLU
    }
    return;
  }
  if (f->rows != nullptr) {
    // conv + map of this tile into the row buffer (full 8-float stores: lanes past NC land on the
    // next tile's channels, which it writes after, or on the buffer's spare floats)
    for (int p = 0; p < used; p++)
      _mm256_storeu_ps(f->rows + p * f->row_ld + f->c0, _mm256_add_ps(r[p], _mm256_maskload_ps(f->map + p * f->map_stride, tile_lanes)));
    if (!f->last_tile) return;
    for (int p = 0; p < used; p++) {
      prefetch_pixel(f, p);
      const float* row = f->rows + p * f->row_ld;
      const float* res = f->res + p * f->res_stride;
      float* y = f->y + p * f->ldy;
      for (int k = 0; k < f->blocks8; k++) {
        const __m256i idx = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(f->win_idx8 + 8 * k));
        const __m256 kept = _mm256_castsi256_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(f->win_kept8 + 8 * k)));
        const __m256 moved = _mm256_and_ps(kept, _mm256_permutevar8x32_ps(_mm256_loadu_ps(row + f->first8[k]), idx));
        const __m256 t = _mm256_add_ps(_mm256_add_ps(_mm256_loadu_ps(res + 8 * k), _mm256_loadu_ps(f->bias + 8 * k)), moved);
        _mm256_storeu_ps(y + 8 * k, _mm256_max_ps(low, t));  // max(low, NaN) is NaN, as TF.js's ReLU
      }
    }
    return;
  }
  for (int p = 0; p < used; p++) {
    prefetch_pixel(f, p);
    gather_pixel_avx2(*f, p, _mm256_add_ps(r[p], _mm256_maskload_ps(f->map + p * f->map_stride, tile_lanes)), low);
  }
}

template <int NC>
inline void finish_stage_avx2(const float (*stage)[16], const FusedOut& f, int used) {
  const float lo = f.lo;
  if (!f.gather) {
    for (int p = 0; p < used; p++) {
      prefetch_pixel(&f, p);
      const float* res = f.res + p * f.res_stride;
      const float* map = f.map + p * f.map_stride;
      float* y = f.y + p * f.ldy;
      for (int t = 0; t < NC; t++) {
        const float v = (stage[t][p] + map[t]) + res[t];
        y[t] = v < lo ? lo : v;
      }
    }
    return;
  }
  if (f.blocks8 > 0) {
    finish_gather_avx2<NC>(stage, f, used);
    return;
  }
  for (int p = 0; p < used; p++) {
    prefetch_pixel(&f, p);
    const float* res = f.res + p * f.res_stride;
    const float* map = f.map + p * f.map_stride;
    float* y = f.y + p * f.ldy;
    for (int e = 0; e < f.own_n; e++) {
      const int c = f.own_c[e], j = f.own_j[e];
      const float v = (res[c] + f.bias[c]) + (j < 0 ? 0.0f : stage[j][p] + map[j]);
      y[c] = v < lo ? lo : v;
    }
  }
}

template <int NC>
__attribute__((target("avx2,fma"))) void segment16_avx2(const Segment& g, float* out, Index ldo, int used) {
  WB_ACC8(0) WB_ACC8(1) WB_ACC8(2) WB_ACC8(3) WB_ACC8(4) WB_ACC8(5)
  for (int i = 0; i < g.taps; i++) {
    const float* xr = g.xrow + i * g.tap_stride;
    const float* wi = g.w + static_cast<Index>(g.i0 + i) * g.kw * g.ci * g.co;
    for (int j = 0; j < g.kw; j++) {
      const float* xj = xr + g.joff[j];
      for (int c = 0; c < g.ci; c++) {
        const __m256 v = _mm256_loadu_ps(xj + c * g.L);
        const __m256 v2 = _mm256_loadu_ps(xj + c * g.L + 8);
        const float* wk = wi + static_cast<Index>(j * g.ci + c) * g.co;
        WB_FMA8(0) WB_FMA8(1) WB_FMA8(2) WB_FMA8(3) WB_FMA8(4) WB_FMA8(5)
      }
    }
  }
  // Transposed in registers unless the epilogue is a scatter to a width off a multiple of 8 (the
  // per-channel lists of finish_stage_avx2).
  if (g.transpose && (g.fused == nullptr || !g.fused->gather || g.fused->blocks8 > 0)) {
    if (g.fused != nullptr) {
      const FusedOut& f = *g.fused;
      WB_EPI8(0) WB_EPI8(1) WB_EPI8(2) WB_EPI8(3) WB_EPI8(4) WB_EPI8(5)
    }
    // Accumulators past NC stayed zero: lanes NC .. 7 of each pixel's vector are zeros.
    const __m256 zero = _mm256_setzero_ps();
    __m256 r[16] = {a0, a1, a2, a3, a4, a5, zero, zero, b0, b1, b2, b3, b4, b5, zero, zero};
    transpose8(r);
    transpose8(r + 8);
    finish_regs_avx2<NC>(r, g.fused, out, ldo, used);
    return;
  }
  alignas(32) float stage[kMaxTileAvx2][16];
  if (g.fused != nullptr) {
    const FusedOut& f = *g.fused;
    WB_EPI8(0) WB_EPI8(1) WB_EPI8(2) WB_EPI8(3) WB_EPI8(4) WB_EPI8(5)
    WB_STAGE8(0) WB_STAGE8(1) WB_STAGE8(2) WB_STAGE8(3) WB_STAGE8(4) WB_STAGE8(5)
    finish_stage_avx2<NC>(stage, f, used);
    return;
  }
  WB_STAGE8(0) WB_STAGE8(1) WB_STAGE8(2) WB_STAGE8(3) WB_STAGE8(4) WB_STAGE8(5)
  for (int p = 0; p < used; p++)
    for (int t = 0; t < NC; t++) out[p * ldo + t] = stage[t][p];
}
#undef WB_ACC8
#undef WB_FMA8
#undef WB_STAGE8
#undef WB_EPI8

template <int... I>
constexpr std::array<SegmentFn, sizeof...(I)> segment_avx2_table(std::integer_sequence<int, I...>) {
  return {&segment16_avx2<I + 1>...};
}
const std::array<SegmentFn, kMaxTileAvx2> kSegmentAvx2 = segment_avx2_table(std::make_integer_sequence<int, kMaxTileAvx2>{});

// One input row [w][ci] -> ci rows of L floats, column ix at pl + ix, zeros elsewhere; 16 x 16
// blocks transposed in registers (any ci and w: partial blocks are masked).
__attribute__((target("avx512f"))) void planar_row(const float* src, int w, int ci, int pl, Index L, float* dst) {
  // Padding columns: a few floats per row, as masked vector stores (small memset calls cost more).
  const __m512 zero = _mm512_setzero_ps();
  for (int c = 0; c < ci; c++) {
    float* row = dst + c * L;
    for (int q = 0; q < pl; q += 16) _mm512_mask_storeu_ps(row + q, lanes(pl - q), zero);
    for (Index q = pl + w; q < L; q += 16) _mm512_mask_storeu_ps(row + q, lanes(static_cast<int>(L - q)), zero);
  }
  __m512 r[16];
  for (int c0 = 0; c0 < ci; c0 += 16) {
    const int nc = std::min(16, ci - c0);
    for (int x0 = 0; x0 < w; x0 += 16) {
      const int np = std::min(16, w - x0);
      for (int p = 0; p < 16; p++) r[p] = p < np ? _mm512_maskz_loadu_ps(lanes(nc), src + static_cast<Index>(x0 + p) * ci + c0) : _mm512_setzero_ps();
      transpose16(r);
      for (int t = 0; t < nc; t++) _mm512_mask_storeu_ps(dst + (c0 + t) * L + pl + x0, lanes(np), r[t]);
    }
  }
}

// Pixels x0 .. x0 + 7 of a pixel-major row (ci floats per pixel), channels c0 .. c0 + nc - 1 (nc <= 8,
// `mask` its lanes), transposed in registers: r[t] holds channel c0 + t over the 8 pixels, zero past w.
__attribute__((target("avx2,fma"), always_inline)) inline void channel_block_avx2(const float* src, int w, int ci, int x0, int c0, int nc, __m256i mask,
                                                                                __m256 (&r)[8]) {
  const int np = std::min(8, w - x0);
  for (int p = 0; p < 8; p++) {
    const float* at = src + static_cast<Index>(x0 + p) * ci + c0;
    r[p] = p >= np ? _mm256_setzero_ps() : nc == 8 ? _mm256_loadu_ps(at) : _mm256_maskload_ps(at, mask);
  }
  transpose8(r);
}

// The same on AVX2 + FMA: the padding columns zeroed, then 8 x 8 blocks
// transposed in registers (channels past ci read as zeros through a masked load; a block's pixels
// past w are zeros, stored into the row's right padding, which L leaves room for).
__attribute__((target("avx2,fma"))) void planar_row_avx2(const float* src, int w, int ci, int pl, Index L, float* dst) {
  // Only the padding: columns below pl, and from the end of the last (zero-filled) 8-pixel block on.
  const __m256 zero = _mm256_setzero_ps();
  const Index tail = pl + (w + 7) / 8 * 8;
  // Whole vectors (a few floats each side: as scalar loops GCC made them memset calls, which cost
  // more): the head's last one and the tail's last one (at L - 8) may cover data columns, which are
  // written after.
  for (int c = 0; c < ci; c++) {
    float* row = dst + c * L;
    for (Index q = 0; q < pl; q += 8) _mm256_storeu_ps(row + q, zero);
    for (Index q = tail; q < L; q += 8) _mm256_storeu_ps(row + std::min(q, L - 8), zero);
  }
  __m256 r[8];
  for (int c0 = 0; c0 < ci; c0 += 8) {
    const int nc = std::min(8, ci - c0);
    const __m256i mask = lanes_avx2(nc);
    for (int x0 = 0; x0 < w; x0 += 8) {
      channel_block_avx2(src, w, ci, x0, c0, nc, mask, r);
      for (int t = 0; t < nc; t++) _mm256_storeu_ps(dst + (c0 + t) * L + pl + x0, r[t]);
    }
  }
}

// Stride 2 on AVX2 + FMA: the rows zeroed (one memset), then 8 x 8 blocks transposed in registers,
// each channel's 8 columns split into its even and odd ones with one permute and stored as two
// 4-float runs, one per phase (the layout of planar_row_strided; a block's pixels past w are zeros,
// stored into the phases' padding, which Lp leaves room for).
__attribute__((target("avx2,fma"))) void planar_row_stride2_avx2(const float* src, int w, int ci, int pl, Index Lp, float* dst) {
  std::memset(dst, 0, sizeof(float) * static_cast<std::size_t>(ci) * 2 * Lp);
  // Lanes of even columns first when the block starts on an even column, else those of odd ones.
  const __m256i split_even = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7), split_odd = _mm256_setr_epi32(1, 3, 5, 7, 0, 2, 4, 6);
  __m256 r[8];
  for (int c0 = 0; c0 < ci; c0 += 8) {
    const int nc = std::min(8, ci - c0);
    const __m256i mask = lanes_avx2(nc);
    for (int x0 = 0; x0 < w; x0 += 8) {
      channel_block_avx2(src, w, ci, x0, c0, nc, mask, r);
      const int first = pl + x0;  // padded column of lane 0
      const __m256i split = first % 2 == 0 ? split_even : split_odd;
      for (int t = 0; t < nc; t++) {
        const __m256 v = _mm256_permutevar8x32_ps(r[t], split);
        float* row = dst + static_cast<Index>(c0 + t) * 2 * Lp;
        _mm_storeu_ps(row + (first + 1) / 2, _mm256_castps256_ps128(v));      // phase 0: even columns
        _mm_storeu_ps(row + Lp + first / 2, _mm256_extractf128_ps(v, 1));     // phase 1: odd columns
      }
    }
  }
}

// The same for stride `st` > 1: padded column q goes to phase q % st at q / st (each phase Lp floats,
// L = st * Lp per channel), so output pixel ox reads tap j at (j % st) * Lp + j / st + ox. Plain
// loops: the stride-2 layers are the downsampling ones, a small share of a model's convs.
void planar_row_strided(const float* src, int w, int ci, int pl, int st, Index Lp, float* dst) {
  std::memset(dst, 0, sizeof(float) * static_cast<std::size_t>(ci) * st * Lp);
  for (int ix = 0; ix < w; ix++) {
    const int q = pl + ix;
    float* col = dst + (q % st) * Lp + q / st;
    const float* v = src + static_cast<Index>(ix) * ci;
    for (int c = 0; c < ci; c++) col[c * st * Lp] = v[c];
  }
}
#endif


}  // namespace

bool direct_conv_applies(const ConvShape& s) {
#ifdef WB_X86
  static const bool avx512 = std::strcmp(microkernel().name, "avx512f") == 0;
  static const bool avx2 = std::strcmp(microkernel().name, "avx2") == 0;
  if (!switch_on("WORKBENCH_NATIVE_DIRECT")) return false;
  if (!avx512 && !(avx2 && switch_on("WORKBENCH_NATIVE_DIRECT_AVX2"))) return false;
  // Only where the GEMM path wastes lanes (filter counts off its 16-wide panels: measured faster
  // there, slower at 16/32/64 filters); rows narrower than 12 pixels would leave too much of
  // each 16-pixel vector idle.
  if (s.co % 16 == 0 || s.kh * s.kw <= 1 || s.ow < 12 || s.sh != s.sw) return false;
  return s.sh == 1 || (s.sh == 2 && switch_on("WORKBENCH_NATIVE_DIRECT_STRIDE2"));
#else
  (void)s;
  (void)switched_on;
  return false;
#endif
}

bool direct_conv_fuses(const ConvShape& s, const Epilogue* ep) {
#ifdef WB_X86
  static const bool avx512 = std::strcmp(microkernel().name, "avx512f") == 0;
  static const bool avx2 = std::strcmp(microkernel().name, "avx2") == 0;
#else
  const bool avx512 = false, avx2 = false;
#endif
  if (ep == nullptr || (ep->scatter != nullptr && ep->gather == nullptr) || !switch_on("WORKBENCH_NATIVE_DIRECT_FUSED")) return false;
  // AVX2 from 4 images on: there the rows the sink pass would re-read have left L1/L2 and the fused
  // form saves that pass; at batch 1 they are still in cache and the sink's vectorised epilogue
  // beat the per-pixel scalar one (compact ResNet-20/56 at batch 1: 2% slower fused, measured).
  // With the epilogue finished from register transposes (WORKBENCH_NATIVE_DIRECT_AVX2_TRANSPOSE) the
  // fused form won at batch 1 too (compact ResNet-20/56: 3-4% less CPU, measured);
  // WORKBENCH_NATIVE_DIRECT_AVX2_FUSED_SMALL=0 (read per call) keeps batches under 4 on the sink.
  const int min_batch = switch_on("WORKBENCH_NATIVE_DIRECT_AVX2_FUSED_SMALL") ? 1 : 4;
  return avx512 || (avx2 && s.n >= min_batch && switch_on("WORKBENCH_NATIVE_DIRECT_AVX2_FUSED"));
}

void direct_conv2d(const ConvShape& s, const float* x, const float* w, RowSink& sink, const Epilogue* ep, float* y, const float* zeros) {
#ifdef WB_X86
  constexpr int V = 16;
  // AVX2 (direct_conv_applies let it through only there or on AVX-512): 8-pixel segments.
  static const bool avx512 = std::strcmp(microkernel().name, "avx512f") == 0;
  const int st = s.sw;
  // xt[n][iy][c][q]: input column ix at q = ix + pl, zeros around (stride 2: in phases, see
  // planar_row_strided), long enough that the last segment's full-width loads stay inside the row
  // (their extra lanes are never stored). Tight (WORKBENCH_NATIVE_DIRECT_TIGHT=0, read per call: V more, as before): what the last segment's
  // loads reach (16-pixel segments, ox0 + 15 + (kw - 1) / st) and what the copies write (the AVX2
  // one whole 8-pixel blocks); stage 1's rows 48 floats instead of 64, a quarter less to copy and read.
  const Index Lp = switch_on("WORKBENCH_NATIVE_DIRECT_TIGHT")
                       ? (std::max<Index>((s.ow + V - 1) / V * V + (s.kw - 1) / st, (s.pl + (s.w + 7) / 8 * 8 + st - 1) / st) + 15) / 16 * 16
                       : (std::max<Index>(s.ow + (s.kw - 1) / st, (s.pl + s.w + st - 1) / st) + V + 15) / 16 * 16;  // whole cache lines
  const Index L = st * Lp;
  std::array<int, 64> joff_buffer{};
  std::vector<int> joff_big;
  int* joff = s.kw <= 64 ? joff_buffer.data() : (joff_big.resize(s.kw), joff_big.data());
  for (int j = 0; j < s.kw; j++) joff[j] = static_cast<int>((j % st) * Lp + j / st);
  const Index rows_in = static_cast<Index>(s.n) * s.h;
  // The calling thread's buffer; tasks use the pointer (a thread_local named inside a task would
  // be the worker's own).
  thread_local std::vector<float> xt_buffer;
  // Rows start on a cache line (L is a multiple of 16 floats and the buffer is aligned to 64 bytes),
  // so a segment's tap-0 loads (stride 1) do not straddle two lines.
  float* const xt_raw = scratch(xt_buffer, static_cast<std::size_t>(rows_in * s.ci * L + 16));
  float* const xt = reinterpret_cast<float*>((reinterpret_cast<std::uintptr_t>(xt_raw) + 63) & ~std::uintptr_t{63});
  // AVX2: the stride-1 planar copy with 8 x 8 register transposes (WORKBENCH_NATIVE_DIRECT_AVX2_PLANAR=0,
  // read per call: the plain loop, as before; a copy either way).
  const bool planar_avx2 = !avx512 && switch_on("WORKBENCH_NATIVE_DIRECT_AVX2_PLANAR");
  const bool transpose = !avx512 && switch_on("WORKBENCH_NATIVE_DIRECT_AVX2_TRANSPOSE");
  // The same for stride 2, on either ISA (an AVX-512 machine has AVX2 too; WORKBENCH_NATIVE_DIRECT_PLANAR2=0,
  // read per call: the plain loop).
  const bool planar2_avx2 = switch_on("WORKBENCH_NATIVE_DIRECT_PLANAR2");
  const int rows_per_copy = 8;
  parallel_for(static_cast<int>((rows_in + rows_per_copy - 1) / rows_per_copy), [&](int t, int) {
    for (Index r = static_cast<Index>(t) * rows_per_copy; r < std::min<Index>(rows_in, (t + 1) * rows_per_copy); r++) {
      if (st == 1 && avx512)
        planar_row(x + r * s.w * s.ci, s.w, s.ci, s.pl, L, xt + r * s.ci * L);
      else if (st == 1 && planar_avx2)
        planar_row_avx2(x + r * s.w * s.ci, s.w, s.ci, s.pl, L, xt + r * s.ci * L);
      else if (st == 2 && planar2_avx2)
        planar_row_stride2_avx2(x + r * s.w * s.ci, s.w, s.ci, s.pl, Lp, xt + r * s.ci * L);
      else
        planar_row_strided(x + r * s.w * s.ci, s.w, s.ci, s.pl, st, Lp, xt + r * s.ci * L);
    }
  });

  // Balanced channel tiles of at most 16 (AVX2: 12).
  const int max_tile = avx512 ? kMaxTile : kMaxTileAvx2;
  const int tiles = (s.co + max_tile - 1) / max_tile;
  std::vector<std::pair<int, int>> channel_tiles;  // (c0, nc)
  for (int t = 0, c0 = 0; t < tiles; t++) {
    const int nc = s.co / tiles + (t < s.co % tiles ? 1 : 0);
    channel_tiles.emplace_back(c0, nc);
    c0 += nc;
  }
  // AVX2: each channel tile's filter columns packed contiguously ([kh][kw][ci][nc], the tile's
  // slice c0 .. c0+nc of every filter row), so a segment streams them line after line instead of
  // reading nc of every co floats (a 23-filter layer's rows straddle lines, and the 4 tiles of a
  // segment re-fetched the lines they share). WORKBENCH_NATIVE_DIRECT_AVX2_PACK=0 (read per call)
  // reads the filter in place; the same values in the same order either way.
  std::vector<float> packed;
  std::vector<Index> packed_at;  // tile t's block
  if (!avx512 && switch_on("WORKBENCH_NATIVE_DIRECT_AVX2_PACK")) {
    const Index rows_w = static_cast<Index>(s.kh) * s.kw * s.ci;
    packed.resize(static_cast<std::size_t>(rows_w * s.co));
    for (const auto& [c0, nc] : channel_tiles) {
      packed_at.push_back(rows_w * c0);
      float* dst = packed.data() + rows_w * c0;
      for (Index q = 0; q < rows_w; q++)
        for (int k = 0; k < nc; k++) dst[q * nc + k] = w[q * s.co + c0 + k];
    }
  }

  // The fused epilogue's per-call tables: the constant-input map channel-planar ([co][oh*ow], V
  // spare floats), and for a gather each tile's lane indices and masks over the output width.
  const bool fused = y != nullptr && direct_conv_fuses(s, ep);
  const Index plane = static_cast<Index>(s.oh) * s.ow;
  const int cw = fused ? ep->channels : s.co;
  const int vectors = (cw + 15) / 16;
  std::vector<float> map_planar;
  Index map_stride = 0;
  std::vector<int> idx;
  std::vector<unsigned short> kept, owned;
  std::vector<int> own_c, own_j;       // AVX2 gather: per tile, the channels it writes and what each reads
  std::vector<int> own_at(1, 0);       // tile t's entries: own_at[t] .. own_at[t + 1]
  std::vector<int> idx8, kept8, owned8;  // AVX2 gather with whole 8-channel blocks (FusedOut)
  const int blocks8 = fused && !avx512 && ep->gather && cw % 8 == 0 && switch_on("WORKBENCH_NATIVE_DIRECT_AVX2_VECTOR") ? cw / 8 : 0;
  if (fused && !avx512) {
    map_stride = ep->add_map ? s.co : 0;  // pixel-major, read in place (finish_stage_avx2)
  } else if (fused) {
    if (ep->add_map) {
      map_stride = plane + V;
      map_planar.assign(static_cast<std::size_t>(s.co * map_stride), 0.0f);
      for (Index q = 0; q < plane; q++)
        for (int c = 0; c < s.co; c++) map_planar[c * map_stride + q] = ep->add_map[q * s.co + c];
    } else {
      map_planar.assign(2 * V, 0.0f);  // every channel reads the same zeros (stride 0; segment32 reads 16 further)
    }
  }
  if (fused) {
    if (ep->gather) {
      // AVX-512 reads idx/kept/owned, AVX2 own_c/own_j.
      if (avx512) {
        idx.assign(static_cast<std::size_t>(tiles) * vectors * 16, 0);
        kept.assign(static_cast<std::size_t>(tiles) * vectors, 0);
        owned.assign(static_cast<std::size_t>(tiles) * vectors, 0);
      } else {
        own_c.reserve(cw);
        own_j.reserve(cw);
      }
      for (int t = 0; t < tiles; t++) {
        const auto [c0, nc] = channel_tiles[t];
        for (int c = 0; c < cw; c++) {
          const int gc = ep->gather[c];
          const std::size_t v = static_cast<std::size_t>(t) * vectors + c / 16;
          const unsigned short bit = static_cast<unsigned short>(1u << (c % 16));
          if (gc >= c0 && gc < c0 + nc) {
            if (avx512) {
              idx[v * 16 + c % 16] = gc - c0;
              kept[v] |= bit;
              owned[v] |= bit;
            } else {
              own_c.push_back(c);
              own_j.push_back(gc - c0);
            }
          } else if (gc < 0 && t == 0) {  // bias + residual only, written once
            if (avx512) {
              owned[v] |= bit;
            } else {
              own_c.push_back(c);
              own_j.push_back(-1);
            }
          }
        }
        own_at.push_back(static_cast<int>(own_c.size()));
        if (blocks8 > 0) {
          const std::size_t at = static_cast<std::size_t>(t) * cw;
          idx8.resize(at + cw, 0);
          kept8.resize(at + cw, 0);
          owned8.resize(at + cw, 0);
          for (int e = own_at[t]; e < own_at[t + 1]; e++) {
            const int c = own_c[e], j = own_j[e];
            owned8[at + c] = -1;
            if (j >= 0) {
              idx8[at + c] = j;
              kept8[at + c] = -1;
            }
          }
        }
      }
    }
  }
  // AVX2 gather through a segment row buffer (FusedOut::rows): where every 8-channel output block
  // reads conv channels within a window of 8 (a pruned layer's kept channels spread in order over the
  // residual width); WORKBENCH_NATIVE_DIRECT_AVX2_ROWS=0 (read per call): each tile blends its lanes
  // into y. The same operations per output: the same bits.
  constexpr int kRowLd = 72;
  std::vector<int> first8, win_idx8, win_kept8;
  bool rowbuf = blocks8 > 0 && transpose && s.co + 8 <= kRowLd && switch_on("WORKBENCH_NATIVE_DIRECT_AVX2_ROWS");
  if (rowbuf) {
    first8.assign(blocks8, 0);
    win_idx8.assign(static_cast<std::size_t>(blocks8) * 8, 0);
    win_kept8.assign(static_cast<std::size_t>(blocks8) * 8, 0);
    for (int k = 0; k < blocks8 && rowbuf; k++) {
      int lo_j = s.co, hi_j = -1;
      for (int c = 8 * k; c < 8 * k + 8; c++)
        if (ep->gather[c] >= 0) lo_j = std::min(lo_j, ep->gather[c]), hi_j = std::max(hi_j, ep->gather[c]);
      if (hi_j < 0) continue;  // no conv channel lands here: bias + residual only
      if (hi_j - lo_j >= 8) rowbuf = false;
      first8[k] = lo_j;
      for (int c = 8 * k; c < 8 * k + 8; c++)
        if (ep->gather[c] >= 0) win_idx8[c] = ep->gather[c] - lo_j, win_kept8[c] = -1;
    }
  }
  const float lo = fused && ep->relu ? 0.0f : -std::numeric_limits<float>::infinity();
  // Prefetch distance: 32 pixels (a pair of segments; 64 measured the same). Near the end of y the
  // lines requested lie past it: only requested, never read (a prefetch does not fault).
  // WORKBENCH_NATIVE_DIRECT_PREFETCH=0 (read per call) turns it off for A/B timing.
  const int ahead = fused && switch_on("WORKBENCH_NATIVE_DIRECT_PREFETCH") ? 32 : 0;

  // Two segments per pass where every channel tile fits segment32's registers.
  bool pairs = avx512 && switch_on("WORKBENCH_NATIVE_DIRECT_PAIRS");
  for (const auto& tile : channel_tiles) pairs = pairs && tile.second <= kMaxPairTile;
  const int step = pairs ? 2 * V : V;

  const Index out_rows = static_cast<Index>(s.n) * s.oh;
  const int rows_per_task = std::max(1, 64 / s.ow);
  const int tasks = static_cast<int>((out_rows + rows_per_task - 1) / rows_per_task);
  parallel_for(tasks, [&](int task, int) {
    alignas(32) float seg_rows[16 * kRowLd];
    // Lanes co .. co+7 of a row are read (then masked off) but only partly written by the tiles (with zeros).
    if (rowbuf)
      for (int p = 0; p < 16; p++) std::memset(seg_rows + p * kRowLd + s.co, 0, 8 * sizeof(float));
    const Index r1 = std::min<Index>(out_rows, static_cast<Index>(task + 1) * rows_per_task);
    for (Index r = static_cast<Index>(task) * rows_per_task; r < r1; r++) {
      const Index n = r / s.oh;
      const int oy = static_cast<int>(r - n * s.oh);
      const Index m0 = r * s.ow;
      float* out = fused ? nullptr : sink.begin(m0, s.ow);
      // Filter rows whose input row iy = oy * sh + i - pt is inside the image (the others add zeros).
      const int iy0 = oy * s.sh - s.pt;
      const int i_lo = std::max(0, -iy0), i_hi = std::min(s.kh, s.h - iy0);
      const int taps = std::max(0, i_hi - i_lo);
      const float* xrow = taps > 0 ? xt + ((n * s.h + (iy0 + i_lo)) * s.ci) * L : xt;
      for (int ox0 = 0; ox0 < s.ow; ox0 += step) {
        const int used = std::min(step, s.ow - ox0);
        const SegmentFn* table = !avx512 ? kSegmentAvx2.data() : used > V ? kSegmentPair.data() : kSegment.data();
        const Index m = m0 + ox0;  // the segment's first output pixel
        for (int t = 0; t < tiles; t++) {
          const auto [c0, nc] = channel_tiles[t];
          FusedOut f;
          if (fused) {
            const bool gather = ep->gather != nullptr;
            const Index at = gather ? 0 : c0;  // identity: the tile's channels of each row
            f.gather = gather;
            f.map = !avx512 ? (ep->add_map ? ep->add_map + (m % plane) * s.co + c0 : zeros)
                            : map_planar.data() + (ep->add_map ? c0 * map_stride + (m % plane) : 0);
            f.map_stride = map_stride;
            f.bias = (ep->bias ? ep->bias : zeros) + at;
            f.res = ep->residual ? ep->residual + m * cw + at : zeros + at;
            f.res_stride = ep->residual ? cw : 0;
            f.y = y + m * cw + at;
            f.ldy = cw;
            f.vectors = vectors;
            f.idx = gather && avx512 ? idx.data() + static_cast<std::size_t>(t) * vectors * 16 : nullptr;
            f.kept = gather && avx512 ? kept.data() + static_cast<std::size_t>(t) * vectors : nullptr;
            f.owned = gather && avx512 ? owned.data() + static_cast<std::size_t>(t) * vectors : nullptr;
            f.own_c = gather && !avx512 ? own_c.data() + own_at[t] : nullptr;
            f.own_j = gather && !avx512 ? own_j.data() + own_at[t] : nullptr;
            f.own_n = gather && !avx512 ? own_at[t + 1] - own_at[t] : 0;
            f.blocks8 = blocks8;
            f.idx8 = blocks8 > 0 ? idx8.data() + static_cast<std::size_t>(t) * cw : nullptr;
            f.kept8 = blocks8 > 0 ? kept8.data() + static_cast<std::size_t>(t) * cw : nullptr;
            f.owned8 = blocks8 > 0 ? owned8.data() + static_cast<std::size_t>(t) * cw : nullptr;
            f.rows = rowbuf ? seg_rows : nullptr;
            f.row_ld = kRowLd;
            f.c0 = c0;
            f.last_tile = t == tiles - 1;
            f.first8 = first8.data();
            f.win_idx8 = win_idx8.data();
            f.win_kept8 = win_kept8.data();
            f.lo = lo;
            f.ahead = ahead;
          }
          const bool pk = !packed_at.empty();
          const Segment g{xrow + ox0, s.ci * L, taps, i_lo, s.kw, s.ci, L, joff, pk ? packed.data() + packed_at[t] : w + c0, pk ? nc : s.co,
                          fused ? &f : nullptr, transpose};
          table[nc - 1](g, fused ? nullptr : out + static_cast<Index>(ox0) * s.co + c0, s.co, used);
        }
      }
      if (!fused) sink.end(m0, s.ow, out);
    }
  });
  // Kept for the next call (no allocation per layer), unless a large input (ImageNet-size maps)
  // made it big: then it goes back to the allocator rather than staying with the thread.
  constexpr std::size_t kKeepFloats = std::size_t{16} << 20;  // 64 MB
  if (xt_buffer.size() > kKeepFloats) std::vector<float>().swap(xt_buffer);
#else
  (void)s;
  (void)x;
  (void)w;
  (void)sink;
  (void)ep;
  (void)y;
  (void)zeros;
#endif
}

}  // namespace wb
