// Parts shared by the tile-vectorised Winograd paths for pruned widths (winograd_pruned.cc, F(2x2, 3x3),
// and winograd_f43_pruned.cc, F(4x4, 3x3)): 16x16 in-register transposes, the filter-row microkernel
// over 32 tiles, channel-planar input rows and the fused epilogue from planar output rows. Both files
// call the same code, so the epilogue's operations and their order are the same on either path.
#pragma once

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <utility>

#include "conv.h"
#include "direct_conv.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define WB_WINOGRAD_TILE_PARTS_X86 1
#include <immintrin.h>
#endif

namespace wb {
namespace winograd_tile_parts {

using Index = std::ptrdiff_t;

constexpr int kPanel = 32;      // tiles per microkernel call: two 16-tile vectors
constexpr int kMaxRows = 14;   // filter rows per microkernel call: 28 accumulators of the 32 registers

// Filters are split into ceil(co / 14) blocks of equal rows (the last one shorter): 12 -> 12,
// 23 -> 12 + 11, 45 -> 12 + 12 + 12 + 9; each block is one microkernel instantiation, no padded rows.
inline int block_rows(int co) {
  const int blocks = (co + kMaxRows - 1) / kMaxRows;
  return (co + blocks - 1) / blocks;
}

// U^T per position in filter blocks, each block [ci][rows] contiguous: ut[p * ci * co + o0 * ci + c * rb + r]
// for filter o = o0 + r (rb the block's rows), from tile(o, u) = U of filter o and input channel c
// (P positions). The layout the microkernels read, whatever the tile size.
template <int P, class Tile>
void filter_blocks(const ConvShape& s, int c, int rows, float* ut, Tile tile) {
  const int ci = s.ci, co = s.co;
  float u[P];
  for (int o = 0; o < co; o++) {
    tile(o, u);
    const int o0 = o / rows * rows, r = o - o0, rb = std::min(rows, co - o0);
    for (int p = 0; p < P; p++) ut[static_cast<Index>(p) * ci * co + static_cast<Index>(o0) * ci + static_cast<Index>(c) * rb + r] = u[p];
  }
}

#ifdef WB_WINOGRAD_TILE_PARTS_X86
inline __mmask16 lanes(int left) { return static_cast<__mmask16>(left >= 16 ? 0xFFFF : (1u << left) - 1); }

// r[j][i] = src[i][j] for i < rows, j < 16 (16 columns of up to 16 rows, a null row reads zeros):
// one 16x16 in-register transpose; columns past `cols` are read as zeros.
__attribute__((target("avx512f"))) inline void transpose16_regs(const float* const src[16], int rows, int cols, __m512 r[16]) {
  const __mmask16 mc = lanes(cols);
  __m512 t[16];
  for (int i = 0; i < 16; i++) r[i] = i < rows && src[i] != nullptr ? _mm512_maskz_loadu_ps(mc, src[i]) : _mm512_setzero_ps();
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int g = 0; g < 16; g += 4) {  // r[g + c]: rows g .. g + 3 of column 4k + c in 128-bit lane k
    r[g] = _mm512_shuffle_ps(t[g], t[g + 2], 0x44);
    r[g + 1] = _mm512_shuffle_ps(t[g], t[g + 2], 0xEE);
    r[g + 2] = _mm512_shuffle_ps(t[g + 1], t[g + 3], 0x44);
    r[g + 3] = _mm512_shuffle_ps(t[g + 1], t[g + 3], 0xEE);
  }
  for (int c = 0; c < 4; c++) {
    t[c] = _mm512_shuffle_f32x4(r[c], r[4 + c], 0x88);
    t[4 + c] = _mm512_shuffle_f32x4(r[c], r[4 + c], 0xDD);
    t[8 + c] = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0x88);
    t[12 + c] = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0xDD);
  }
  for (int c = 0; c < 4; c++) {
    r[c] = _mm512_shuffle_f32x4(t[c], t[8 + c], 0x88);
    r[8 + c] = _mm512_shuffle_f32x4(t[c], t[8 + c], 0xDD);
    r[4 + c] = _mm512_shuffle_f32x4(t[4 + c], t[12 + c], 0x88);
    r[12 + c] = _mm512_shuffle_f32x4(t[4 + c], t[12 + c], 0xDD);
  }
}

// dst[j * ds + i] = src[i * ss + j] for i < rows, j < cols (at most 16 each); stores past the block masked off.
__attribute__((target("avx512f"))) inline void transpose16(const float* src, Index ss, int rows, int cols, float* dst, Index ds) {
  const float* rp[16];
  for (int i = 0; i < 16; i++) rp[i] = src + i * ss;
  __m512 r[16];
  transpose16_regs(rp, rows, cols, r);
  const __mmask16 mr = lanes(rows);
  for (int j = 0; j < cols; j++) _mm512_mask_storeu_ps(dst + j * ds, mr, r[j]);
}

// c[r][0..32) = sum over k in order of u[k][r] * v[k][0..32): R filter rows x 32 tiles in 2R registers.
template <int R>
__attribute__((target("avx512f"))) void rows_kernel(int k, const float* u, const float* v, Index vs, float* c, Index cs) {
  __m512 acc[R][2];
#pragma GCC unroll 14
  for (int r = 0; r < R; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  for (int kk = 0; kk < k; kk++) {
    const __m512 b0 = _mm512_loadu_ps(v + kk * vs), b1 = _mm512_loadu_ps(v + kk * vs + 16);
#pragma GCC unroll 14
    for (int r = 0; r < R; r++) {
      const __m512 a = _mm512_set1_ps(u[kk * R + r]);
      acc[r][0] = _mm512_fmadd_ps(a, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(a, b1, acc[r][1]);
    }
  }
#pragma GCC unroll 14
  for (int r = 0; r < R; r++) {
    _mm512_storeu_ps(c + r * cs, acc[r][0]);
    _mm512_storeu_ps(c + r * cs + 16, acc[r][1]);
  }
}

using RowsKernel = void (*)(int, const float*, const float*, Index, float*, Index);
template <std::size_t... I>
constexpr std::array<RowsKernel, sizeof...(I)> rows_table(std::index_sequence<I...>) {
  return {{(I == 0 ? nullptr : &rows_kernel<static_cast<int>(I == 0 ? 1 : I)>)...}};
}
inline const std::array<RowsKernel, kMaxRows + 1> kRowsKernels = rows_table(std::make_index_sequence<kMaxRows + 1>{});

// Row iy of image n, channel-planar: p[c * wp + ix + pl] = x[n, iy, ix, c], zeros outside the image.
__attribute__((target("avx512f"))) inline void planar_row(const ConvShape& s, const float* x, int n, int iy, int wp, float* p) {
  const int ci = s.ci;
  std::memset(p, 0, sizeof(float) * static_cast<std::size_t>(ci) * wp);
  const float* row = x + (static_cast<Index>(n) * s.h + iy) * s.w * ci;
  for (int ix0 = 0; ix0 < s.w; ix0 += 16)
    for (int c0 = 0; c0 < ci; c0 += 16)
      transpose16(row + static_cast<Index>(ix0) * ci + c0, ci, std::min(16, s.w - ix0), std::min(16, ci - c0), p + static_cast<Index>(c0) * wp + ix0 + s.pl, wp);
}

// The epilogue on output row m0 .. m0 + ow from its planar conv values plane[o * owp + ox] (o < co),
// straight into y, 16 output channels x 16 pixels per transpose: t = residual + bias + (conv + map)
// per output channel (the conv channel its gather names, none for -1), without a gather conv + bias +
// map + residual, then (t < lo ? lo : t) with lo 0 for ReLU (keeps NaN, as TF.js does): apply_epilogue's
// operations in its order. map_t: with a gather, the constant-input map of this output row planar
// [co][owp] (added before the transpose); without one the map is read where it lies.
__attribute__((target("avx512f"))) inline void fused_row(const ConvShape& s, const Epilogue& ep, float* plane, int owp, const float* map_t, Index m0,
                                                  float* y) {
  const int co = s.co, cw = ep.channels;
  const bool gathered = ep.gather != nullptr;
  if (gathered && map_t != nullptr)
    for (Index q = 0; q < static_cast<Index>(co) * owp; q += 16)
      _mm512_storeu_ps(plane + q, _mm512_add_ps(_mm512_loadu_ps(plane + q), _mm512_loadu_ps(map_t + q)));
  const Index plane_px = static_cast<Index>(s.oh) * s.ow;
  const __m512 lo = _mm512_set1_ps(ep.relu ? 0.0f : -std::numeric_limits<float>::infinity());
  for (int k0 = 0; k0 < cw; k0 += 16) {
    const int kn = std::min(16, cw - k0);
    const __mmask16 mk = lanes(kn);
    const __m512 b = ep.bias != nullptr ? _mm512_maskz_loadu_ps(mk, ep.bias + k0) : _mm512_setzero_ps();
    const float* cols[16];
    for (int i = 0; i < 16; i++) {
      const int j = i >= kn ? -1 : ep.gather != nullptr ? ep.gather[k0 + i] : k0 + i;
      cols[i] = j < 0 ? nullptr : plane + static_cast<Index>(j) * owp;
    }
    for (int ox0 = 0; ox0 < s.ow; ox0 += 16) {
      const int nx = std::min(16, s.ow - ox0);
      const float* rp[16];
      for (int i = 0; i < 16; i++) rp[i] = cols[i] != nullptr ? cols[i] + ox0 : nullptr;
      __m512 r[16];
      transpose16_regs(rp, kn, nx, r);
      for (int q = 0; q < nx; q++) {
        const Index p = m0 + ox0 + q;
        const __m512 res = ep.residual != nullptr ? _mm512_maskz_loadu_ps(mk, ep.residual + p * cw + k0) : _mm512_setzero_ps();
        __m512 t;
        if (gathered) {
          t = _mm512_add_ps(_mm512_add_ps(res, b), r[q]);
        } else {  // no scatter: conv + bias + map + residual, in that order
          const __m512 map = ep.add_map != nullptr ? _mm512_maskz_loadu_ps(mk, ep.add_map + (p % plane_px) * co + k0) : _mm512_setzero_ps();
          t = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(r[q], b), map), res);
        }
        _mm512_mask_storeu_ps(y + p * cw + k0, mk, _mm512_max_ps(lo, t));  // max(lo, NaN) is NaN
      }
    }
  }
}
#endif

}  // namespace winograd_tile_parts
}  // namespace wb
