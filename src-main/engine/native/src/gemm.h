// Register-blocked GEMM microkernels with run-time CPU dispatch.
//
// Every product here is C[r, j] (+)= sum_k A(r, k) * B(k, j) with
//   A(r, k) = a[r * a_rs + k * a_ks]   (any strides: row-major im2col, or its transpose)
//   B       = packed in panels of NR = 16 columns: panel[k * 16 + j], zero-padded.
#pragma once
#include <cstddef>

namespace wb {

constexpr int NR = 16;

struct Microkernel {
  const char* name;
  int mr;  // rows per call
  // c: mr x nr tile (ldc row stride); rows >= mr_used and columns >= nr_used are not touched.
  void (*run)(int k, const float* a, std::ptrdiff_t a_rs, std::ptrdiff_t a_ks, const float* bp, float* c,
              std::ptrdiff_t ldc, int mr_used, int nr_used, bool accumulate);
  // The same product with A in `segs` contiguous segments of `len` floats per row (implicit im2col):
  //   A(r, s * len + p) = a[r * a_rs + s * seg_stride + p],  k = segs * len,
  // summed in the same k order as `run` (bit-identical to it on the im2col copy). Overwrites c.
  void (*run_segments)(int segs, int len, std::ptrdiff_t seg_stride, const float* a, std::ptrdiff_t a_rs, const float* bp, float* c,
                       std::ptrdiff_t ldc, int mr_used, int nr_used);
};

// Re-reads the env switches of the microkernels (WORKBENCH_NATIVE_FIXED_STRIDE=0 turns off the
// fixed-row-stride variants, WORKBENCH_NATIVE_AVX2_FIXED=0 their AVX2 twin,
// WORKBENCH_NATIVE_ROW_BASES=0 the AVX-512 14-row tiles with a run-time row stride addressed from
// two bases, WORKBENCH_NATIVE_AVX2_TILE_STORE=0 the general AVX2 kernel's vector store of full
// tiles, for A/B timing); the conv entry points call it once per call.
void refresh_gemm_switches();

// The best kernel for this CPU (env WORKBENCH_NATIVE_ISA=avx2|generic forces a lesser one).
const Microkernel& microkernel();

// Packs B(i, j) = src[i * rs + j * cs] for i < k, j < n into ceil(n / 16) panels of k x 16.
void pack_b(const float* src, int k, int n, std::ptrdiff_t rs, std::ptrdiff_t cs, float* dst);
inline std::size_t packed_b_size(int k, int n) { return static_cast<std::size_t>((n + NR - 1) / NR) * NR * k; }

// C[rows, n] (+)= A[rows, k] * B[k, n] (B packed by pack_b), single-threaded.
void gemm(int rows, int n, int k, const float* a, std::ptrdiff_t a_rs, std::ptrdiff_t a_ks, const float* bp, float* c,
          std::ptrdiff_t ldc, bool accumulate);

// Backprop-filter without im2col: C[rows, n] += A[rows, k] * B[k, n] (B packed by pack_b) with A read
// in place, its k steps in `segs` segments in order: segment s has len[s] steps, A(r, t) =
// base[s][roff + t * a_ks + r] (rows 1 float apart: a filter row's kw*ci taps, contiguous in a
// zero-padded image). Each element is the FMA chain of gemm() over the same k order from zero, then
// one add into C: the same bits as gemm() on the im2col copy. rows must be a multiple of
// k_segment_rows(), which is 0 where the ISA has no such kernel (the portable one, whose separate
// multiply and add round differently from the FMA kernels): callers then keep im2col.
int k_segment_rows();

// `run_segments` for 16 rows whose A rows are a_rs = 16 or 32 floats apart (AVX-512 only; false,
// nothing done, elsewhere): the same k order and FMAs, so the same bits as 16 rows of 14-row tiles.
// For implicit convs whose output rows are a multiple of 16 pixels: tiles that never cross a row end.
bool segments16(int segs, int len, std::ptrdiff_t seg_stride, const float* a, std::ptrdiff_t a_rs, const float* bp, float* c, std::ptrdiff_t ldc,
                int nr_used);
void gemm_k_segments(int rows, int n, int segs, const int* len, const float* const* base, std::ptrdiff_t roff, std::ptrdiff_t a_ks,
                     const float* bp, float* c, std::ptrdiff_t ldc);

}  // namespace wb
