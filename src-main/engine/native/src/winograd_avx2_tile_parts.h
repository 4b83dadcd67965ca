// Parts shared by the tile-vectorised Winograd paths for pruned widths on AVX2 + FMA
// (winograd_pruned_avx2.cc, F(2x2, 3x3); winograd_f43_pruned_avx2.cc, F(4x4, 3x3)): 8x8 transposes,
// the filter-row microkernel over 16 tiles, channel-planar input rows and the fused epilogue from
// planar output rows (winograd_tile_parts.h's parts on 8-lane vectors), and the column regrouping of
// both F(4x4) paths' input rows (AVX-512 CPUs have AVX2). The files call the same code, so the
// epilogue's operations and their order are the same on either path.
#pragma once

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <utility>

#include "conv.h"
#include "direct_conv.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define WB_WINOGRAD_AVX2_PARTS_X86 1
#include "avx2_transpose.h"
#endif

namespace wb {
namespace winograd_avx2_parts {

using Index = std::ptrdiff_t;

constexpr int kPanel = 16;      // tiles per microkernel call: two 8-tile vectors
constexpr int kMaxRows = 6;     // filter rows per microkernel call: 12 accumulators + 2 V vectors + 1 U broadcast of 16 registers

// Filters in ceil(co / 6) blocks of equal rows (the last one shorter): 12 -> 6 + 6, 23 -> 4 x 6 (5),
// 45 -> 7 x 6 + 3; each block is one microkernel instantiation, no padded rows.
inline int block_rows(int co) {
  const int blocks = (co + kMaxRows - 1) / kMaxRows;
  return (co + blocks - 1) / blocks;
}

#ifdef WB_WINOGRAD_AVX2_PARTS_X86
// r[i] = src[i * ss + 0 .. cols) for i < rows, zeros elsewhere, then transposed: r[j] lane i = src[i * ss + j].
__attribute__((target("avx2,fma"))) inline void load_transposed(const float* src, Index ss, int rows, int cols, __m256 r[8]) {
  const __m256i mc = lanes_avx2(cols);
  for (int i = 0; i < 8; i++) r[i] = i >= rows ? _mm256_setzero_ps() : cols == 8 ? _mm256_loadu_ps(src + i * ss) : _mm256_maskload_ps(src + i * ss, mc);
  transpose8(r);
}

// dst[j * ds + i] = src[i * ss + j] for i < rows, j < cols (at most 8 each); nothing else read or written.
__attribute__((target("avx2,fma"))) inline void transpose8_block(const float* src, Index ss, int rows, int cols, float* dst, Index ds) {
  __m256 r[8];
  load_transposed(src, ss, rows, cols, r);
  for (int j = 0; j < cols; j++) store_first(dst + j * ds, r[j], rows);
}

// c[r][0..16) = sum over k in order of u[k][r] * v[k][0..16): R filter rows x 16 tiles in 2R registers.
template <int R>
__attribute__((target("avx2,fma"))) void rows_kernel(int k, const float* u, const float* v, Index vs, float* c, Index cs) {
  __m256 acc[R][2];
#pragma GCC unroll 6
  for (int r = 0; r < R; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  for (int kk = 0; kk < k; kk++) {
    const __m256 b0 = _mm256_loadu_ps(v + kk * vs), b1 = _mm256_loadu_ps(v + kk * vs + 8);
#pragma GCC unroll 6
    for (int r = 0; r < R; r++) {
      const __m256 a = _mm256_broadcast_ss(u + kk * R + r);
      acc[r][0] = _mm256_fmadd_ps(a, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(a, b1, acc[r][1]);
    }
  }
#pragma GCC unroll 6
  for (int r = 0; r < R; r++) {
    _mm256_storeu_ps(c + r * cs, acc[r][0]);
    _mm256_storeu_ps(c + r * cs + 8, acc[r][1]);
  }
}

using RowsKernel = void (*)(int, const float*, const float*, Index, float*, Index);
template <std::size_t... I>
constexpr std::array<RowsKernel, sizeof...(I)> rows_table(std::index_sequence<I...>) {
  return {{(I == 0 ? nullptr : &rows_kernel<static_cast<int>(I == 0 ? 1 : I)>)...}};
}
inline const std::array<RowsKernel, kMaxRows + 1> kRowsKernels = rows_table(std::make_index_sequence<kMaxRows + 1>{});

// Row iy of image n, channel-planar: p[c * wp + ix + pl] = x[n, iy, ix, c], zeros outside the image.
__attribute__((target("avx2,fma"))) inline void planar_row(const ConvShape& s, const float* x, int n, int iy, int wp, float* p) {
  const int ci = s.ci;
  std::memset(p, 0, sizeof(float) * static_cast<std::size_t>(ci) * wp);
  const float* row = x + (static_cast<Index>(n) * s.h + iy) * s.w * ci;
  // Whole 8-column stores: a block's pixels past w are zeros, written into the row's right padding
  // (pl + w rounded up to 8 fits wp for the usual pads; a last block that would not is cut at wp).
  __m256 r[8];
  for (int ix0 = 0; ix0 < s.w; ix0 += 8)
    for (int c0 = 0; c0 < ci; c0 += 8) {
      const int nc = std::min(8, ci - c0);
      load_transposed(row + static_cast<Index>(ix0) * ci + c0, ci, std::min(8, s.w - ix0), nc, r);
      const int room = std::min(8, wp - ix0 - s.pl);
      for (int j = 0; j < nc; j++) store_first(p + static_cast<Index>(c0 + j) * wp + ix0 + s.pl, r[j], room);
    }
}

// The epilogue on output row m0 .. m0 + ow from its planar conv values (winograd_pruned.cc's fused_row,
// 8 output channels x 8 pixels per transpose): apply_epilogue's operations in its order.
__attribute__((target("avx2,fma"))) inline void fused_row(const ConvShape& s, const Epilogue& ep, float* plane, int owp, const float* map_t, Index m0,
                                                  float* y) {
  const int co = s.co, cw = ep.channels;
  const bool gathered = ep.gather != nullptr;
  if (gathered && map_t != nullptr)
    for (Index q = 0; q < static_cast<Index>(co) * owp; q += 8)
      _mm256_storeu_ps(plane + q, _mm256_add_ps(_mm256_loadu_ps(plane + q), _mm256_loadu_ps(map_t + q)));
  const Index plane_px = static_cast<Index>(s.oh) * s.ow;
  const __m256 lo = _mm256_set1_ps(ep.relu ? 0.0f : -std::numeric_limits<float>::infinity());
  for (int k0 = 0; k0 < cw; k0 += 8) {
    const int kn = std::min(8, cw - k0);
    const __m256i mk = lanes_avx2(kn);
    const __m256 b = ep.bias != nullptr ? _mm256_maskload_ps(ep.bias + k0, mk) : _mm256_setzero_ps();
    const float* cols[8];
    for (int i = 0; i < 8; i++) {
      const int j = i >= kn ? -1 : gathered ? ep.gather[k0 + i] : k0 + i;
      cols[i] = j < 0 ? nullptr : plane + static_cast<Index>(j) * owp;
    }
    for (int ox0 = 0; ox0 < s.ow; ox0 += 8) {
      const int nx = std::min(8, s.ow - ox0);
      __m256 r[8];
      for (int i = 0; i < 8; i++) r[i] = cols[i] != nullptr ? _mm256_loadu_ps(cols[i] + ox0) : _mm256_setzero_ps();
      transpose8(r);
      for (int q = 0; q < nx; q++) {
        const Index p = m0 + ox0 + q;
        const __m256 res = ep.residual == nullptr ? _mm256_setzero_ps() : kn == 8 ? _mm256_loadu_ps(ep.residual + p * cw + k0) : _mm256_maskload_ps(ep.residual + p * cw + k0, mk);
        __m256 t;
        if (gathered) {
          t = _mm256_add_ps(_mm256_add_ps(res, b), r[q]);
        } else {  // no scatter: conv + bias + map + residual, in that order
          const __m256 map = ep.add_map != nullptr ? _mm256_maskload_ps(ep.add_map + (p % plane_px) * co + k0, mk) : _mm256_setzero_ps();
          t = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(r[q], b), map), res);
        }
        store_first(y + p * cw + k0, _mm256_max_ps(lo, t), kn);  // max(lo, NaN) is NaN
      }
    }
  }
}
// Tiles per tile row the F(4x4) paths put in one vector (T) for output rows of tiles_x tiles: rows of up
// to 8 tiles take 8 lanes each, of 3-4 tiles 4 lanes, of 2 tiles 2 (a 16-lane vector holds 2, 4 or 8
// tile rows, an 8-lane one 1, 2 or 4).
constexpr int tiles_per_row(int tiles_x) { return tiles_x <= 2 ? 2 : tiles_x <= 4 ? 4 : 8; }

// In-lane 4x4 transposes: r[j] lane k (of each 128-bit half) <- x[k] lane j of the same half.
__attribute__((target("avx2,fma"))) inline void transpose4_lanes(const __m256 x[4], __m256 r[4]) {
  const __m256 t0 = _mm256_unpacklo_ps(x[0], x[1]), t1 = _mm256_unpackhi_ps(x[0], x[1]);
  const __m256 t2 = _mm256_unpacklo_ps(x[2], x[3]), t3 = _mm256_unpackhi_ps(x[2], x[3]);
  r[0] = _mm256_shuffle_ps(t0, t2, 0x44);
  r[1] = _mm256_shuffle_ps(t0, t2, 0xEE);
  r[2] = _mm256_shuffle_ps(t1, t3, 0x44);
  r[3] = _mm256_shuffle_ps(t1, t3, 0xEE);
}

// The F(4x4, 3x3) paths' (winograd_f43_pruned.cc, winograd_f43_pruned_avx2.cc) planar input rows, each
// channel's columns regrouped in place so that column j of the T tiles a vector takes from one tile row
// is contiguous: p[T j + t] = column 4t + j (j < 6, t < T; T = 2: j < 8), T = tiles_per_row. An input row
// is read by up to two tile rows, six vectors each, so regrouping it once (in registers, each channel's
// columns loaded before any is stored) makes each read one load or a few. Reads columns up to 36 (T = 8),
// 20 (T = 4) or 12 (T = 2): the rows' planar length wp must reach that.
__attribute__((target("avx2,fma"))) inline void regroup_tile_columns(const ConvShape& s, int wp, float* p) {
  const int tiles = tiles_per_row((s.ow + 3) / 4);
  for (int c = 0; c < s.ci; c++) {
    float* q = p + static_cast<Index>(c) * wp;
    if (tiles == 8) {  // columns 4k .. 4k + 3 as rows of 4: k < 8 (j < 4), then from column 4 on (j = 4, 5)
      __m256 r[4], e[4];
      for (int h = 0; h < 2; h++) {
        const float* a = q + 4 * h;
        const __m256 v0 = _mm256_loadu_ps(a), v1 = _mm256_loadu_ps(a + 8), v2 = _mm256_loadu_ps(a + 16), v3 = _mm256_loadu_ps(a + 24);
        const __m256 rows[4] = {_mm256_permute2f128_ps(v0, v2, 0x20), _mm256_permute2f128_ps(v0, v2, 0x31), _mm256_permute2f128_ps(v1, v3, 0x20),
                                _mm256_permute2f128_ps(v1, v3, 0x31)};
        transpose4_lanes(rows, h == 0 ? r : e);
      }
      for (int j = 0; j < 4; j++) _mm256_storeu_ps(q + 8 * j, r[j]);
      _mm256_storeu_ps(q + 32, e[0]);
      _mm256_storeu_ps(q + 40, e[1]);
    } else if (tiles == 4) {  // low halves: columns 0-15 as rows of 4 (j < 4); high halves: from column 4 on (j = 4, 5)
      const __m256 rows[4] = {_mm256_loadu_ps(q), _mm256_loadu_ps(q + 4), _mm256_loadu_ps(q + 8), _mm256_loadu_ps(q + 12)};
      __m256 r[4];
      transpose4_lanes(rows, r);
      for (int j = 0; j < 4; j++) _mm_storeu_ps(q + 4 * j, _mm256_castps256_ps128(r[j]));
      _mm_storeu_ps(q + 16, _mm256_extractf128_ps(r[0], 1));
      _mm_storeu_ps(q + 20, _mm256_extractf128_ps(r[1], 1));
    } else {  // pairs: [c0 c4 c1 c5 c2 c6 c3 c7 | c4 c8 c5 c9 c6 c10 c7 c11]
      const __m256 a = _mm256_loadu_ps(q), b = _mm256_loadu_ps(q + 4);
      const __m256 lo = _mm256_unpacklo_ps(a, b), hi = _mm256_unpackhi_ps(a, b);
      _mm256_storeu_ps(q, _mm256_permute2f128_ps(lo, hi, 0x20));
      _mm256_storeu_ps(q + 8, _mm256_permute2f128_ps(lo, hi, 0x31));
    }
  }
}

#endif

}  // namespace winograd_avx2_parts
}  // namespace wb
