#include "gemm.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>

#include "env_switch.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define WB_X86 1
#include <immintrin.h>
#endif

namespace wb {

namespace {
std::atomic<bool> g_fixed_stride{true};
std::atomic<bool> g_avx2_fixed{true};
std::atomic<bool> g_row_bases{true};
std::atomic<bool> g_avx2_tile_store{true};
inline bool fixed_stride_on() { return g_fixed_stride.load(std::memory_order_relaxed); }
inline bool avx2_fixed_on() { return g_avx2_fixed.load(std::memory_order_relaxed); }
inline bool row_bases_on() { return g_row_bases.load(std::memory_order_relaxed); }
inline bool avx2_tile_store_on() { return g_avx2_tile_store.load(std::memory_order_relaxed); }
}  // namespace

void refresh_gemm_switches() {
  g_fixed_stride.store(switch_on("WORKBENCH_NATIVE_FIXED_STRIDE"), std::memory_order_relaxed);
  g_avx2_fixed.store(switch_on("WORKBENCH_NATIVE_AVX2_FIXED"), std::memory_order_relaxed);
  g_row_bases.store(switch_on("WORKBENCH_NATIVE_ROW_BASES"), std::memory_order_relaxed);
  g_avx2_tile_store.store(switch_on("WORKBENCH_NATIVE_AVX2_TILE_STORE"), std::memory_order_relaxed);
}

namespace {

// Stores a finished mr x 16 tile held in `tile` into c (partial tiles, or accumulate).
inline void store_tile(const float* tile, int mr, float* c, std::ptrdiff_t ldc, int mr_used, int nr_used, bool accumulate) {
  for (int r = 0; r < mr_used; r++) {
    float* row = c + r * ldc;
    const float* t = tile + r * NR;
    if (accumulate) {
      for (int j = 0; j < nr_used; j++) row[j] += t[j];
    } else {
      for (int j = 0; j < nr_used; j++) row[j] = t[j];
    }
  }
  (void)mr;
}

// Portable kernel (4 x 16, the compiler vectorises the j loops for the baseline ISA).
void mk_generic(int k, const float* a, std::ptrdiff_t a_rs, std::ptrdiff_t a_ks, const float* bp, float* c, std::ptrdiff_t ldc,
                int mr_used, int nr_used, bool accumulate) {
  constexpr int MR = 4;
  float acc[MR][NR] = {};
  const float* rows[MR];
  for (int r = 0; r < MR; r++) rows[r] = a + std::min(r, mr_used - 1) * a_rs;
  for (int p = 0; p < k; p++) {
    const float* b = bp + p * NR;
    for (int r = 0; r < MR; r++) {
      const float v = rows[r][p * a_ks];
      for (int j = 0; j < NR; j++) acc[r][j] += v * b[j];
    }
  }
  store_tile(&acc[0][0], MR, c, ldc, mr_used, nr_used, accumulate);
}

void mk_generic_segments(int segs, int len, std::ptrdiff_t seg_stride, const float* a, std::ptrdiff_t a_rs, const float* bp, float* c,
                         std::ptrdiff_t ldc, int mr_used, int nr_used) {
  constexpr int MR = 4;
  float acc[MR][NR] = {};
  const float* rows[MR];
  for (int r = 0; r < MR; r++) rows[r] = a + std::min(r, mr_used - 1) * a_rs;
  for (int sg = 0; sg < segs; sg++) {
    const std::ptrdiff_t base = sg * seg_stride;
    for (int p = 0; p < len; p++, bp += NR) {
      for (int r = 0; r < MR; r++) {
        const float v = rows[r][base + p];
        for (int j = 0; j < NR; j++) acc[r][j] += v * bp[j];
      }
    }
  }
  store_tile(&acc[0][0], MR, c, ldc, mr_used, nr_used, false);
}

#ifdef WB_X86
// Writes (or adds) a 6 x 16 AVX2 accumulator tile into c. A full tile (`full`: all 6 rows and 16
// columns used, where the caller takes that path) with vector loads and stores; any other through a
// stack tile and store_tile's scalar loops. One add of c per element either way: the same bits.
// Inlined, so each caller keeps its accumulators in registers as before.
__attribute__((target("avx2,fma"), always_inline)) inline void put_tile_avx2(const __m256 (&acc)[6][2], float* c, std::ptrdiff_t ldc, int mr_used,
                                                                           int nr_used, bool accumulate, bool full) {
  constexpr int MR = 6;
  if (full) {
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++) {
      float* row = c + r * ldc;
      __m256 v0 = acc[r][0], v1 = acc[r][1];
      if (accumulate) {
        v0 = _mm256_add_ps(_mm256_loadu_ps(row), v0);
        v1 = _mm256_add_ps(_mm256_loadu_ps(row + 8), v1);
      }
      _mm256_storeu_ps(row, v0);
      _mm256_storeu_ps(row + 8, v1);
    }
    return;
  }
  alignas(64) float tile[MR * NR];
#pragma GCC unroll 6
  for (int r = 0; r < MR; r++) {
    _mm256_store_ps(tile + r * NR, acc[r][0]);
    _mm256_store_ps(tile + r * NR + 8, acc[r][1]);
  }
  store_tile(tile, MR, c, ldc, mr_used, nr_used, accumulate);
}

// AVX2 + FMA: 6 x 16 (12 ymm accumulators, 2 for B, 1 broadcast).
// Full 6 x 16 AVX2 tiles whose A rows are RS floats apart, RS known at compile time (the AVX2 twin of
// mk_avx512_rs below): the 6 broadcasts address one base register plus constants, and a full tile
// (nr_used == 16) is added to / stored into c with vector instructions instead of going through a
// stack tile and scalar loops, which cost as much as a sixth of the products when k is short
// (backprop-filter on 8x8 maps: k = 78). Same FMA chain per element from zero, then one add of c:
// the bits of mk_avx2.
template <int RS>
__attribute__((target("avx2,fma"))) void mk_avx2_rs(int k, const float* a, std::ptrdiff_t a_ks, const float* bp, float* c, std::ptrdiff_t ldc,
                                                    int nr_used, bool accumulate) {
  constexpr int MR = 6;
  __m256 acc[MR][2];
#pragma GCC unroll 6
  for (int r = 0; r < MR; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  for (int p = 0; p < k; p++, a += a_ks) {
    const __m256 b0 = _mm256_loadu_ps(bp);
    const __m256 b1 = _mm256_loadu_ps(bp + 8);
    bp += NR;
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++) {
      const __m256 v = _mm256_broadcast_ss(a + r * RS);
      acc[r][0] = _mm256_fmadd_ps(v, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(v, b1, acc[r][1]);
    }
  }
  put_tile_avx2(acc, c, ldc, MR, nr_used, accumulate, nr_used == NR);
}

__attribute__((target("avx2,fma"))) void mk_avx2(int k, const float* a, std::ptrdiff_t a_rs, std::ptrdiff_t a_ks, const float* bp,
                                                 float* c, std::ptrdiff_t ldc, int mr_used, int nr_used, bool accumulate) {
  constexpr int MR = 6;
  if (mr_used == MR && avx2_fixed_on()) {
    if (a_rs == 1) return mk_avx2_rs<1>(k, a, a_ks, bp, c, ldc, nr_used, accumulate);
    if (a_rs == 16) return mk_avx2_rs<16>(k, a, a_ks, bp, c, ldc, nr_used, accumulate);
    if (a_rs == 32) return mk_avx2_rs<32>(k, a, a_ks, bp, c, ldc, nr_used, accumulate);
  }
  __m256 acc[MR][2];
  const float* rows[MR];
  for (int r = 0; r < MR; r++) {
    acc[r][0] = _mm256_setzero_ps();
    acc[r][1] = _mm256_setzero_ps();
    rows[r] = a + std::min(r, mr_used - 1) * a_rs;
  }
  for (int p = 0; p < k; p++) {
    const __m256 b0 = _mm256_loadu_ps(bp);
    const __m256 b1 = _mm256_loadu_ps(bp + 8);
    bp += NR;
    const std::ptrdiff_t off = p * a_ks;
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++) {
      const __m256 v = _mm256_broadcast_ss(rows[r] + off);
      acc[r][0] = _mm256_fmadd_ps(v, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(v, b1, acc[r][1]);
    }
  }
  // A full tile added to / stored into c with vector loads and stores (as mk_avx2_rs does), not
  // through the stack tile and store_tile's scalar loops: the same single add per element, same bits
  // (the stage-3 convs' im2col rows are 576 floats apart, no fixed-stride variant takes them).
  // WORKBENCH_NATIVE_AVX2_TILE_STORE=0 (read per call) keeps the stack tile, for A/B timing.
  // Every acc index below is a constant after unrolling: a loop over a run-time row count here
  // made GCC keep acc in memory and store all 12 accumulators on every k step (half the speed).
  put_tile_avx2(acc, c, ldc, mr_used, nr_used, accumulate, mr_used == MR && nr_used == NR && avx2_tile_store_on());
}

// The same for `run_segments` (implicit convs: A rows ci = 16 or 32 floats apart); overwrites c.
template <int RS>
__attribute__((target("avx2,fma"))) void mk_avx2_segments_rs(int segs, int len, std::ptrdiff_t seg_stride, const float* a, const float* bp,
                                                             float* c, std::ptrdiff_t ldc, int nr_used) {
  constexpr int MR = 6;
  __m256 acc[MR][2];
#pragma GCC unroll 6
  for (int r = 0; r < MR; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  for (int sg = 0; sg < segs; sg++) {
    const float* row = a + sg * seg_stride;
    for (int p = 0; p < len; p++) {
      const __m256 b0 = _mm256_loadu_ps(bp);
      const __m256 b1 = _mm256_loadu_ps(bp + 8);
      bp += NR;
#pragma GCC unroll 6
      for (int r = 0; r < MR; r++) {
        const __m256 v = _mm256_broadcast_ss(row + r * RS + p);
        acc[r][0] = _mm256_fmadd_ps(v, b0, acc[r][0]);
        acc[r][1] = _mm256_fmadd_ps(v, b1, acc[r][1]);
      }
    }
  }
  put_tile_avx2(acc, c, ldc, MR, nr_used, false, nr_used == NR);
}

__attribute__((target("avx2,fma"))) void mk_avx2_segments(int segs, int len, std::ptrdiff_t seg_stride, const float* a, std::ptrdiff_t a_rs,
                                                          const float* bp, float* c, std::ptrdiff_t ldc, int mr_used, int nr_used) {
  constexpr int MR = 6;
  if (mr_used == MR && avx2_fixed_on()) {
    if (a_rs == 16) return mk_avx2_segments_rs<16>(segs, len, seg_stride, a, bp, c, ldc, nr_used);
    if (a_rs == 32) return mk_avx2_segments_rs<32>(segs, len, seg_stride, a, bp, c, ldc, nr_used);
  }
  __m256 acc[MR][2];
  const float* rows[MR];
  for (int r = 0; r < MR; r++) {
    acc[r][0] = _mm256_setzero_ps();
    acc[r][1] = _mm256_setzero_ps();
    rows[r] = a + std::min(r, mr_used - 1) * a_rs;
  }
  for (int sg = 0; sg < segs; sg++) {
    const float* seg[MR];
    for (int r = 0; r < MR; r++) seg[r] = rows[r] + sg * seg_stride;
    for (int p = 0; p < len; p++) {
      const __m256 b0 = _mm256_loadu_ps(bp);
      const __m256 b1 = _mm256_loadu_ps(bp + 8);
      bp += NR;
#pragma GCC unroll 6
      for (int r = 0; r < MR; r++) {
        const __m256 v = _mm256_broadcast_ss(seg[r] + p);
        acc[r][0] = _mm256_fmadd_ps(v, b0, acc[r][0]);
        acc[r][1] = _mm256_fmadd_ps(v, b1, acc[r][1]);
      }
    }
  }
  put_tile_avx2(acc, c, ldc, mr_used, nr_used, false, false);
}

// Full 14-row tiles whose A rows are RS floats apart, RS known at compile time: every A address
// is one base register plus a constant, so the 14 broadcasts need no row pointers. With a run-time
// stride (and the clamp for partial tiles) GCC keeps 14 pointers, more than the free registers, and
// reloads some from the stack or vector registers on every k step. Same FMA order per element as
// the general kernels: bit-identical results.
template <int RS, int MR = 14>
__attribute__((target("avx512f"))) void mk_avx512_segments_rs(int segs, int len, std::ptrdiff_t seg_stride, const float* a, const float* bp,
                                                              float* c, std::ptrdiff_t ldc, int nr_used) {
  __m512 acc[MR];
#pragma GCC unroll 16
  for (int r = 0; r < MR; r++) acc[r] = _mm512_setzero_ps();
  for (int sg = 0; sg < segs; sg++) {
    const float* row = a + sg * seg_stride;
    for (int p = 0; p < len; p++) {
      const __m512 b = _mm512_loadu_ps(bp);
      bp += NR;
#pragma GCC unroll 16
      for (int r = 0; r < MR; r++) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(row[r * RS + p]), b, acc[r]);
    }
  }
  const __mmask16 mask = static_cast<__mmask16>(nr_used >= NR ? 0xFFFF : (1u << nr_used) - 1);
#pragma GCC unroll 16
  for (int r = 0; r < MR; r++) _mm512_mask_storeu_ps(c + r * ldc, mask, acc[r]);
}

// The same for `run` with A(r, p) = a[r * RS + p * a_ks], MR rows (14, or 16 where the row count is a
// multiple of 16 and not of 14: backprop-filter's 48-row blocks of 16-channel convs ran 4 tiles of 14
// for 3 of 16).
template <int RS, int MR = 14>
__attribute__((target("avx512f"))) void mk_avx512_rs(int k, const float* a, std::ptrdiff_t a_ks, const float* bp, float* c, std::ptrdiff_t ldc,
                                                     int nr_used, bool accumulate) {
  __m512 acc[MR];
#pragma GCC unroll 16
  for (int r = 0; r < MR; r++) acc[r] = _mm512_setzero_ps();
  for (int p = 0; p < k; p++, a += a_ks) {
    const __m512 b = _mm512_loadu_ps(bp);
    bp += NR;
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(a[r * RS]), b, acc[r]);
  }
  const __mmask16 mask = static_cast<__mmask16>(nr_used >= NR ? 0xFFFF : (1u << nr_used) - 1);
#pragma GCC unroll 16
  for (int r = 0; r < MR; r++) {
    float* row = c + r * ldc;
    __m512 v = acc[r];
    if (accumulate) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, row));
    _mm512_mask_storeu_ps(row, mask, v);
  }
}

__attribute__((target("avx512f"))) void mk_avx512_segments(int segs, int len, std::ptrdiff_t seg_stride, const float* a, std::ptrdiff_t a_rs,
                                                           const float* bp, float* c, std::ptrdiff_t ldc, int mr_used, int nr_used) {
  constexpr int MR = 14;
  if (mr_used == MR && fixed_stride_on()) {
    if (a_rs == 16) return mk_avx512_segments_rs<16>(segs, len, seg_stride, a, bp, c, ldc, nr_used);
    if (a_rs == 32) return mk_avx512_segments_rs<32>(segs, len, seg_stride, a, bp, c, ldc, nr_used);
  }
  __m512 acc[MR];
  for (int r = 0; r < MR; r++) acc[r] = _mm512_setzero_ps();
  const float* rows[MR];
  for (int r = 0; r < MR; r++) rows[r] = a + std::min(r, mr_used - 1) * a_rs;
  for (int sg = 0; sg < segs; sg++) {
    const std::ptrdiff_t base = sg * seg_stride;
    for (int p = 0; p < len; p++) {
      const __m512 b = _mm512_loadu_ps(bp);
      bp += NR;
      const std::ptrdiff_t off = base + p;
#pragma GCC unroll 14
      for (int r = 0; r < MR; r++) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(rows[r][off]), b, acc[r]);
    }
  }
  const __mmask16 mask = static_cast<__mmask16>(nr_used >= NR ? 0xFFFF : (1u << nr_used) - 1);
  for (int r = 0; r < mr_used; r++) _mm512_mask_storeu_ps(c + r * ldc, mask, acc[r]);
}

// Full 14-row tiles with a run-time row stride (the im2col path's rows K = 288 / 576 floats apart:
// stage-3 convs and their backprop-input, stride-2 backprop-input's dy rows). mk_avx512 below keeps
// 14 row pointers, more than the free general registers, and GCC reloads three of them from the
// stack on every k step. Here every row is addressed from two bases (rows 0 and 9) and the row
// stride times 1, 3, 5 and 7 in registers with the x86 index scales 1, 2, 4, 8:
//   rows 0-8: a0, a0+s, a0+2s, a0+3s, a0+4s, a0+5s, a0+2*3s, a0+7s, a0+8s; rows 9-13: a9 + 0, s, 2s, 3s, 4s.
// GCC cannot be told to keep that addressing, so the 14 FMAs of a k step are written out in inline
// assembly: the same vfmadd231ps with an embedded broadcast that GCC emits for mk_avx512, in the
// same per-accumulator order, so the same bits. Hot-cache GEMM, K = 576 / 288: 106-108 -> 115-117
// GFLOP/s per core. WORKBENCH_NATIVE_ROW_BASES=0 (read per call) keeps mk_avx512, for A/B timing.
#define WB_FMA_ROW(i, addr) "vfmadd231ps " addr "%{1to16%}, %[b], %[c" #i "]\n\t"
__attribute__((target("avx512f"))) void mk_avx512_bases(int k, const float* a, std::ptrdiff_t a_rs, std::ptrdiff_t a_ks, const float* bp, float* c,
                                                        std::ptrdiff_t ldc, int nr_used, bool accumulate) {
  __m512 c0 = _mm512_setzero_ps(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0,
         c12 = c0, c13 = c0;
  const std::ptrdiff_t s1 = a_rs * static_cast<std::ptrdiff_t>(sizeof(float)), s3 = 3 * s1, s5 = 5 * s1, s7 = 7 * s1;
  const std::ptrdiff_t step = a_ks * static_cast<std::ptrdiff_t>(sizeof(float));
  const char* a0 = reinterpret_cast<const char*>(a);
  const char* a9 = a0 + 9 * s1;
  for (int p = 0; p < k; p++, a0 += step, a9 += step) {
    const __m512 b = _mm512_loadu_ps(bp);
    bp += NR;
    // Two statements: one would have more than the 30 operands GCC allows.
    __asm__(WB_FMA_ROW(0, "(%[a0])") WB_FMA_ROW(1, "(%[a0],%[s1])") WB_FMA_ROW(2, "(%[a0],%[s1],2)") WB_FMA_ROW(3, "(%[a0],%[s3])")
                WB_FMA_ROW(4, "(%[a0],%[s1],4)") WB_FMA_ROW(5, "(%[a0],%[s5])") WB_FMA_ROW(6, "(%[a0],%[s3],2)") WB_FMA_ROW(7, "(%[a0],%[s7])")
                    WB_FMA_ROW(8, "(%[a0],%[s1],8)")
            : [c0] "+v"(c0), [c1] "+v"(c1), [c2] "+v"(c2), [c3] "+v"(c3), [c4] "+v"(c4), [c5] "+v"(c5), [c6] "+v"(c6), [c7] "+v"(c7), [c8] "+v"(c8)
            : [b] "v"(b), [a0] "r"(a0), [s1] "r"(s1), [s3] "r"(s3), [s5] "r"(s5), [s7] "r"(s7)
            : "memory");
    __asm__(WB_FMA_ROW(9, "(%[a9])") WB_FMA_ROW(10, "(%[a9],%[s1])") WB_FMA_ROW(11, "(%[a9],%[s1],2)") WB_FMA_ROW(12, "(%[a9],%[s3])")
                WB_FMA_ROW(13, "(%[a9],%[s1],4)")
            : [c9] "+v"(c9), [c10] "+v"(c10), [c11] "+v"(c11), [c12] "+v"(c12), [c13] "+v"(c13)
            : [b] "v"(b), [a9] "r"(a9), [s1] "r"(s1), [s3] "r"(s3)
            : "memory");
  }
  const __m512 acc[14] = {c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13};
  const __mmask16 mask = static_cast<__mmask16>(nr_used >= NR ? 0xFFFF : (1u << nr_used) - 1);
#pragma GCC unroll 14
  for (int r = 0; r < 14; r++) {
    float* row = c + r * ldc;
    __m512 v = acc[r];
    if (accumulate) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, row));
    _mm512_mask_storeu_ps(row, mask, v);
  }
}
#undef WB_FMA_ROW

// gemm_k_segments' tiles: 16 rows 1 float apart (as mk_avx512_rs<1, 16>), k in segments.
__attribute__((target("avx512f"))) void mk_avx512_ksegs(int segs, const int* len, const float* const* base, std::ptrdiff_t roff, std::ptrdiff_t a_ks,
                                                        const float* bp, float* c, std::ptrdiff_t ldc, int nr_used) {
  constexpr int MR = 16;
  __m512 acc[MR];
#pragma GCC unroll 16
  for (int r = 0; r < MR; r++) acc[r] = _mm512_setzero_ps();
  for (int sg = 0; sg < segs; sg++) {
    const float* a = base[sg] + roff;
    for (int p = 0; p < len[sg]; p++, a += a_ks) {
      const __m512 b = _mm512_loadu_ps(bp);
      bp += NR;
#pragma GCC unroll 16
      for (int r = 0; r < MR; r++) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(a[r]), b, acc[r]);
    }
  }
  const __mmask16 mask = static_cast<__mmask16>(nr_used >= NR ? 0xFFFF : (1u << nr_used) - 1);
#pragma GCC unroll 16
  for (int r = 0; r < MR; r++) {
    float* row = c + r * ldc;
    _mm512_mask_storeu_ps(row, mask, _mm512_add_ps(acc[r], _mm512_maskz_loadu_ps(mask, row)));
  }
}

// The AVX2 twin: 6 rows 1 float apart (as mk_avx2_rs<1>), k in segments.
__attribute__((target("avx2,fma"))) void mk_avx2_ksegs(int segs, const int* len, const float* const* base, std::ptrdiff_t roff, std::ptrdiff_t a_ks,
                                                       const float* bp, float* c, std::ptrdiff_t ldc, int nr_used) {
  constexpr int MR = 6;
  __m256 acc[MR][2];
#pragma GCC unroll 6
  for (int r = 0; r < MR; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  for (int sg = 0; sg < segs; sg++) {
    const float* a = base[sg] + roff;
    for (int p = 0; p < len[sg]; p++, a += a_ks) {
      const __m256 b0 = _mm256_loadu_ps(bp);
      const __m256 b1 = _mm256_loadu_ps(bp + 8);
      bp += NR;
#pragma GCC unroll 6
      for (int r = 0; r < MR; r++) {
        const __m256 v = _mm256_broadcast_ss(a + r);
        acc[r][0] = _mm256_fmadd_ps(v, b0, acc[r][0]);
        acc[r][1] = _mm256_fmadd_ps(v, b1, acc[r][1]);
      }
    }
  }
  put_tile_avx2(acc, c, ldc, MR, nr_used, true, nr_used == NR);
}

// AVX-512F: 14 x 16 (14 zmm accumulators; one B load and 14 broadcasts per k).
__attribute__((target("avx512f"))) void mk_avx512(int k, const float* a, std::ptrdiff_t a_rs, std::ptrdiff_t a_ks, const float* bp,
                                                  float* c, std::ptrdiff_t ldc, int mr_used, int nr_used, bool accumulate) {
  constexpr int MR = 14;
  if (mr_used == MR && fixed_stride_on()) {
    if (a_rs == 1) return mk_avx512_rs<1>(k, a, a_ks, bp, c, ldc, nr_used, accumulate);
    if (a_rs == 16) return mk_avx512_rs<16>(k, a, a_ks, bp, c, ldc, nr_used, accumulate);
  }
  if (mr_used == MR && row_bases_on()) return mk_avx512_bases(k, a, a_rs, a_ks, bp, c, ldc, nr_used, accumulate);
  __m512 acc[MR];
  const float* rows[MR];
  for (int r = 0; r < MR; r++) {
    acc[r] = _mm512_setzero_ps();
    rows[r] = a + std::min(r, mr_used - 1) * a_rs;
  }
  for (int p = 0; p < k; p++) {
    const __m512 b = _mm512_loadu_ps(bp);
    bp += NR;
    const std::ptrdiff_t off = p * a_ks;
#pragma GCC unroll 14
    for (int r = 0; r < MR; r++) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(rows[r][off]), b, acc[r]);
  }
  const __mmask16 mask = static_cast<__mmask16>(nr_used >= NR ? 0xFFFF : (1u << nr_used) - 1);
  for (int r = 0; r < mr_used; r++) {
    float* row = c + r * ldc;
    __m512 v = acc[r];
    if (accumulate) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, row));
    _mm512_mask_storeu_ps(row, mask, v);
  }
}
#endif

const Microkernel kGeneric{"generic", 4, mk_generic, mk_generic_segments};
#ifdef WB_X86
const Microkernel kAvx2{"avx2", 6, mk_avx2, mk_avx2_segments};
const Microkernel kAvx512{"avx512f", 14, mk_avx512, mk_avx512_segments};
#endif

const Microkernel& select() {
  const char* forced = std::getenv("WORKBENCH_NATIVE_ISA");
  const bool any = forced == nullptr || *forced == 0;
#ifdef WB_X86
  __builtin_cpu_init();
  if ((any || std::strcmp(forced, "avx512f") == 0) && __builtin_cpu_supports("avx512f")) return kAvx512;
  if ((any || std::strcmp(forced, "avx2") == 0 || std::strcmp(forced, "avx512f") == 0) && __builtin_cpu_supports("avx2") &&
      __builtin_cpu_supports("fma"))
    return kAvx2;
#endif
  (void)any;
  return kGeneric;
}

}  // namespace

const Microkernel& microkernel() {
  static const Microkernel& chosen = select();
  return chosen;
}

// Per-ISA copies (see conv_im2col.cc).
#if defined(__x86_64__) && defined(__linux__) && (defined(__GNUC__) && !defined(__clang__))
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void pack_b(const float* src, int k, int n, std::ptrdiff_t rs, std::ptrdiff_t cs, float* dst) {
  for (int j0 = 0; j0 < n; j0 += NR) {
    const int nr = std::min(NR, n - j0);
    float* panel = dst + static_cast<std::ptrdiff_t>(j0) * k;
    for (int i = 0; i < k; i++) {
      const float* s = src + i * rs + j0 * cs;
      float* d = panel + i * NR;
      if (cs == 1) {
        for (int j = 0; j < nr; j++) d[j] = s[j];  // 16 floats: inlined, a memcpy call costs more
      } else {
        for (int j = 0; j < nr; j++) d[j] = s[j * cs];
      }
      for (int j = nr; j < NR; j++) d[j] = 0.0f;
    }
  }
}

bool segments16(int segs, int len, std::ptrdiff_t seg_stride, const float* a, std::ptrdiff_t a_rs, const float* bp, float* c, std::ptrdiff_t ldc,
                int nr_used) {
#ifdef WB_X86
  if (&microkernel() != &kAvx512) return false;
  if (a_rs == 16) {
    mk_avx512_segments_rs<16, 16>(segs, len, seg_stride, a, bp, c, ldc, nr_used);
    return true;
  }
  if (a_rs == 32) {
    mk_avx512_segments_rs<32, 16>(segs, len, seg_stride, a, bp, c, ldc, nr_used);
    return true;
  }
#endif
  (void)segs, (void)len, (void)seg_stride, (void)a, (void)a_rs, (void)bp, (void)c, (void)ldc, (void)nr_used;
  return false;
}

int k_segment_rows() {
#ifdef WB_X86
  const Microkernel& mk = microkernel();
  if (&mk == &kAvx512) return 16;
  if (&mk == &kAvx2) return 6;
#endif
  return 0;
}

void gemm_k_segments(int rows, int n, int segs, const int* len, const float* const* base, std::ptrdiff_t roff, std::ptrdiff_t a_ks,
                     const float* bp, float* c, std::ptrdiff_t ldc) {
#ifdef WB_X86
  const int mr = k_segment_rows();
  std::ptrdiff_t k = 0;
  for (int sg = 0; sg < segs; sg++) k += len[sg];
  for (int r0 = 0; r0 + mr <= rows; r0 += mr)
    for (int j0 = 0; j0 < n; j0 += NR) {
      const float* panel = bp + j0 * k;
      float* tile = c + r0 * ldc + j0;
      if (mr == 16) mk_avx512_ksegs(segs, len, base, roff + r0, a_ks, panel, tile, ldc, std::min(NR, n - j0));
      else mk_avx2_ksegs(segs, len, base, roff + r0, a_ks, panel, tile, ldc, std::min(NR, n - j0));
    }
#else
  (void)rows, (void)n, (void)segs, (void)len, (void)base, (void)roff, (void)a_ks, (void)bp, (void)c, (void)ldc;
#endif
}

void gemm(int rows, int n, int k, const float* a, std::ptrdiff_t a_rs, std::ptrdiff_t a_ks, const float* bp, float* c,
          std::ptrdiff_t ldc, bool accumulate) {
  const Microkernel& mk = microkernel();
#ifdef WB_X86
  if (&mk == &kAvx512 && a_rs == 1 && rows % 16 == 0 && rows % 14 != 0 && fixed_stride_on()) {
    for (int r0 = 0; r0 < rows; r0 += 16)
      for (int j0 = 0; j0 < n; j0 += NR)
        mk_avx512_rs<1, 16>(k, a + r0, a_ks, bp + static_cast<std::ptrdiff_t>(j0) * k, c + r0 * ldc + j0, ldc, std::min(NR, n - j0), accumulate);
    return;
  }
#endif
  for (int r0 = 0; r0 < rows; r0 += mk.mr) {
    const int mr = std::min(mk.mr, rows - r0);
    for (int j0 = 0; j0 < n; j0 += NR) {
      mk.run(k, a + r0 * a_rs, a_rs, a_ks, bp + static_cast<std::ptrdiff_t>(j0) * k, c + r0 * ldc + j0, ldc, mr,
             std::min(NR, n - j0), accumulate);
    }
  }
}

}  // namespace wb
