#include "batch_norm_loops.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "env_switch.h"
#include "gemm.h"
#include "thread_pool.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define WB_X86 1
#define WB_INLINE inline __attribute__((always_inline))
#else
#define WB_INLINE inline
#endif

namespace wb::bn {
namespace {

// The row loops are written once and compiled per ISA (the compiler vectorises
// them for each target); the variant matching the GEMM microkernel runs.
//
// Each body is a template over the channel count C: 0 reads it from c at run time, 16, 32
// and 64 (ResNet's stages) fix it at compile time, so the channel loop is unrolled into whole
// vectors with the per-channel constants and (for the sums) the float64 accumulators kept in
// registers across rows. With a run-time c GCC kept the accumulators in memory, a
// store-to-load chain per row, and for c = 16 ran the channel loop's scalar remainder: the
// moments of a [128,32,32,16] map took 8x as long as a copy of it. The same operations on
// each element in the same order, so the same bits (`WORKBENCH_NATIVE_BN_FIXED_C=0`, read
// per call, runs the run-time-c loops for A/B).
template <int C>
WB_INLINE void sums_body(const float* a, const float* b, Index r0, Index r1, int c_, double* s0, double* s1) {
  const int c = C > 0 ? C : c_;
  if constexpr (C > 0) {
    double t0[C], t1[C];
    for (int k = 0; k < C; k++) {
      t0[k] = s0[k];
      t1[k] = s1[k];
    }
    for (Index r = r0; r < r1; r++) {
      const float* ra = a + r * C;
      const float* rb = b + r * C;
      for (int k = 0; k < C; k++) {
        const double va = ra[k];
        t0[k] += va;
        t1[k] += va * static_cast<double>(rb[k]);
      }
    }
    for (int k = 0; k < C; k++) {
      s0[k] = t0[k];
      s1[k] = t1[k];
    }
    return;
  }
  for (Index r = r0; r < r1; r++) {
    const float* ra = a + r * c;
    const float* rb = b + r * c;
    for (int k = 0; k < c; k++) {
      const double va = ra[k];
      s0[k] += va;
      s1[k] += va * static_cast<double>(rb[k]);
    }
  }
}

template <int C>
WB_INLINE void affine_body(const float* x, const float* scale_, const float* shift_, Index r0, Index r1, int c_, float* y) {
  const int c = C > 0 ? C : c_;
  float fixed[2][C > 0 ? C : 1];
  const float* scale = scale_;
  const float* shift = shift_;
  if constexpr (C > 0) {  // local copies: no aliasing with y, loaded into registers once
    for (int k = 0; k < C; k++) fixed[0][k] = scale_[k], fixed[1][k] = shift_[k];
    scale = fixed[0];
    shift = fixed[1];
  }
  for (Index r = r0; r < r1; r++) {
    const float* rx = x + r * c;
    float* ry = y + r * c;
    for (int k = 0; k < c; k++) ry[k] = rx[k] * scale[k] + shift[k];
  }
}

// dx = a*dy + b*(x - mean) + d per channel
template <int C>
WB_INLINE void grad_body(const float* dy, const float* x, const float* a_, const float* b_, const float* mean_, const float* d_, Index r0,
                         Index r1, int c_, float* dx) {
  const int c = C > 0 ? C : c_;
  float fixed[4][C > 0 ? C : 1];
  const float* a = a_;
  const float* b = b_;
  const float* mean = mean_;
  const float* d = d_;
  if constexpr (C > 0) {
    for (int k = 0; k < C; k++) fixed[0][k] = a_[k], fixed[1][k] = b_[k], fixed[2][k] = mean_[k], fixed[3][k] = d_[k];
    a = fixed[0], b = fixed[1], mean = fixed[2], d = fixed[3];
  }
  for (Index r = r0; r < r1; r++) {
    const float* rdy = dy + r * c;
    const float* rx = x + r * c;
    float* rdx = dx + r * c;
    for (int k = 0; k < c; k++) rdx[k] = a[k] * rdy[k] + b[k] * (rx[k] - mean[k]) + d[k];
  }
}

template <int C>
WB_INLINE void affine_relu_body(const float* x, const float* scale_, const float* shift_, Index r0, Index r1, int c_, float* y) {
  const int c = C > 0 ? C : c_;
  float fixed[2][C > 0 ? C : 1];
  const float* scale = scale_;
  const float* shift = shift_;
  if constexpr (C > 0) {
    for (int k = 0; k < C; k++) fixed[0][k] = scale_[k], fixed[1][k] = shift_[k];
    scale = fixed[0];
    shift = fixed[1];
  }
  for (Index r = r0; r < r1; r++) {
    const float* rx = x + r * c;
    float* ry = y + r * c;
    for (int k = 0; k < c; k++) {
      const float v = rx[k] * scale[k] + shift[k];  // as affine_body (no contraction: -ffp-contract=off)
      ry[k] = v < 0.0f ? 0.0f : v;
    }
  }
}

template <int C>
WB_INLINE void affine_add_relu_body(const float* x, const float* scale_, const float* shift_, const float* res, Index r0, Index r1, int c_,
                                    float* y) {
  const int c = C > 0 ? C : c_;
  float fixed[2][C > 0 ? C : 1];
  const float* scale = scale_;
  const float* shift = shift_;
  if constexpr (C > 0) {
    for (int k = 0; k < C; k++) fixed[0][k] = scale_[k], fixed[1][k] = shift_[k];
    scale = fixed[0];
    shift = fixed[1];
  }
  for (Index r = r0; r < r1; r++) {
    const float* rx = x + r * c;
    const float* rr = res + r * c;
    float* ry = y + r * c;
    for (int k = 0; k < c; k++) {
      const float v = rx[k] * scale[k] + shift[k] + rr[k];  // ((x*scale) + shift) + r, no contraction
      ry[k] = v < 0.0f ? 0.0f : v;
    }
  }
}

// sums of g = dy * step(y) and g * x; with EMIT, g is also written out
template <int C, bool EMIT>
WB_INLINE void sums_masked_any(const float* dy, const float* y, const float* x, Index r0, Index r1, int c_, double* s0, double* s1,
                               float* g) {
  const int c = C > 0 ? C : c_;
  if constexpr (C > 0) {
    double t0[C], t1[C];
    for (int k = 0; k < C; k++) {
      t0[k] = s0[k];
      t1[k] = s1[k];
    }
    for (Index r = r0; r < r1; r++) {
      const float* rdy = dy + r * C;
      const float* ry = y + r * C;
      const float* rx = x + r * C;
      for (int k = 0; k < C; k++) {
        const float v = rdy[k] * relu_step(ry[k]);
        if constexpr (EMIT) g[r * C + k] = v;
        const double va = v;
        t0[k] += va;
        t1[k] += va * static_cast<double>(rx[k]);
      }
    }
    for (int k = 0; k < C; k++) {
      s0[k] = t0[k];
      s1[k] = t1[k];
    }
    return;
  }
  for (Index r = r0; r < r1; r++) {
    const float* rdy = dy + r * c;
    const float* ry = y + r * c;
    const float* rx = x + r * c;
    for (int k = 0; k < c; k++) {
      const float v = rdy[k] * relu_step(ry[k]);
      if constexpr (EMIT) g[r * c + k] = v;
      const double va = v;
      s0[k] += va;
      s1[k] += va * static_cast<double>(rx[k]);
    }
  }
}

template <int C>
WB_INLINE void sums_masked_body(const float* dy, const float* y, const float* x, Index r0, Index r1, int c, double* s0, double* s1) {
  sums_masked_any<C, false>(dy, y, x, r0, r1, c, s0, s1, nullptr);
}

template <int C>
WB_INLINE void sums_masked_emit_body(const float* dy, const float* y, const float* x, Index r0, Index r1, int c, double* s0, double* s1,
                                     float* g) {
  sums_masked_any<C, true>(dy, y, x, r0, r1, c, s0, s1, g);
}

template <int C>
WB_INLINE void grad_masked_body(const float* dy, const float* y, const float* x, const float* a_, const float* b_, const float* mean_,
                                const float* d_, Index r0, Index r1, int c_, float* dx) {
  const int c = C > 0 ? C : c_;
  float fixed[4][C > 0 ? C : 1];
  const float* a = a_;
  const float* b = b_;
  const float* mean = mean_;
  const float* d = d_;
  if constexpr (C > 0) {
    for (int k = 0; k < C; k++) fixed[0][k] = a_[k], fixed[1][k] = b_[k], fixed[2][k] = mean_[k], fixed[3][k] = d_[k];
    a = fixed[0], b = fixed[1], mean = fixed[2], d = fixed[3];
  }
  for (Index r = r0; r < r1; r++) {
    const float* rdy = dy + r * c;
    const float* ry = y + r * c;
    const float* rx = x + r * c;
    float* rdx = dx + r * c;
    for (int k = 0; k < c; k++) {
      const float g = rdy[k] * relu_step(ry[k]);
      rdx[k] = a[k] * g + b[k] * (rx[k] - mean[k]) + d[k];
    }
  }
}

// Whether the fixed-C loops run (read per call, as the kernels' other switches).
bool fixed_c_enabled() { return switch_on("WORKBENCH_NATIVE_BN_FIXED_C"); }

// BODY<C>(args...) with C fixed where c is a ResNet stage width and the switch is on, else run-time c.
#define WB_BY_C(BODY, ...)                   \
  do {                                       \
    const int cc = fixed_c_enabled() ? c : 0; \
    if (cc == 16)                            \
      BODY<16>(__VA_ARGS__);                 \
    else if (cc == 32)                       \
      BODY<32>(__VA_ARGS__);                 \
    else if (cc == 64)                       \
      BODY<64>(__VA_ARGS__);                 \
    else                                     \
      BODY<0>(__VA_ARGS__);                  \
  } while (0)

#define WB_SUMS_ARGS (const float* a, const float* b, Index r0, Index r1, int c, double* s0, double* s1)
#define WB_AFFINE_ARGS (const float* x, const float* scale, const float* shift, Index r0, Index r1, int c, float* y)
#define WB_GRAD_ARGS \
  (const float* dy, const float* x, const float* a, const float* b, const float* mean, const float* d, Index r0, Index r1, int c, float* dx)

#define WB_SUMS_MASKED_ARGS (const float* dy, const float* y, const float* x, Index r0, Index r1, int c, double* s0, double* s1)
#define WB_GRAD_MASKED_ARGS                                                                                                                \
  (const float* dy, const float* y, const float* x, const float* a, const float* b, const float* mean, const float* d, Index r0, Index r1, \
   int c, float* dx)

#define WB_AFFINE_ADD_ARGS (const float* x, const float* scale, const float* shift, const float* res, Index r0, Index r1, int c, float* y)

#define WB_SUMS_EMIT_ARGS (const float* dy, const float* y, const float* x, Index r0, Index r1, int c, double* s0, double* s1, float* g)

#define WB_FUSED_VARIANTS(TARGET, SUFFIX)                                                                                                       \
  TARGET void sums_masked_emit_##SUFFIX WB_SUMS_EMIT_ARGS { WB_BY_C(sums_masked_emit_body, dy, y, x, r0, r1, c, s0, s1, g); }                        \
  TARGET void affine_add_relu_##SUFFIX WB_AFFINE_ADD_ARGS { WB_BY_C(affine_add_relu_body, x, scale, shift, res, r0, r1, c, y); }                      \
  TARGET void affine_relu_##SUFFIX WB_AFFINE_ARGS { WB_BY_C(affine_relu_body, x, scale, shift, r0, r1, c, y); }                                       \
  TARGET void sums_masked_##SUFFIX WB_SUMS_MASKED_ARGS { WB_BY_C(sums_masked_body, dy, y, x, r0, r1, c, s0, s1); }                                    \
  TARGET void grad_masked_##SUFFIX WB_GRAD_MASKED_ARGS { WB_BY_C(grad_masked_body, dy, y, x, a, b, mean, d, r0, r1, c, dx); }

void sums_generic WB_SUMS_ARGS { WB_BY_C(sums_body, a, b, r0, r1, c, s0, s1); }
void affine_generic WB_AFFINE_ARGS { WB_BY_C(affine_body, x, scale, shift, r0, r1, c, y); }
void grad_generic WB_GRAD_ARGS { WB_BY_C(grad_body, dy, x, a, b, mean, d, r0, r1, c, dx); }
#ifdef WB_X86
__attribute__((target("avx2,fma"))) void sums_avx2 WB_SUMS_ARGS { WB_BY_C(sums_body, a, b, r0, r1, c, s0, s1); }
__attribute__((target("avx2,fma"))) void affine_avx2 WB_AFFINE_ARGS { WB_BY_C(affine_body, x, scale, shift, r0, r1, c, y); }
__attribute__((target("avx2,fma"))) void grad_avx2 WB_GRAD_ARGS { WB_BY_C(grad_body, dy, x, a, b, mean, d, r0, r1, c, dx); }
__attribute__((target("avx512f"))) void sums_avx512 WB_SUMS_ARGS { WB_BY_C(sums_body, a, b, r0, r1, c, s0, s1); }
__attribute__((target("avx512f"))) void affine_avx512 WB_AFFINE_ARGS { WB_BY_C(affine_body, x, scale, shift, r0, r1, c, y); }
__attribute__((target("avx512f"))) void grad_avx512 WB_GRAD_ARGS { WB_BY_C(grad_body, dy, x, a, b, mean, d, r0, r1, c, dx); }
WB_FUSED_VARIANTS(__attribute__((target("avx2,fma"))), avx2)
WB_FUSED_VARIANTS(__attribute__((target("avx512f"))), avx512)
#endif
WB_FUSED_VARIANTS(, generic)

}  // namespace

const Loops& loops() {
  static const Loops chosen = [] {
#ifdef WB_X86
    const char* isa = microkernel().name;
    if (std::strcmp(isa, "avx512f") == 0)
      return Loops{sums_avx512, affine_avx512, grad_avx512, affine_relu_avx512, sums_masked_avx512, grad_masked_avx512, sums_masked_emit_avx512, affine_add_relu_avx512};
    if (std::strcmp(isa, "avx2") == 0) return Loops{sums_avx2, affine_avx2, grad_avx2, affine_relu_avx2, sums_masked_avx2, grad_masked_avx2, sums_masked_emit_avx2, affine_add_relu_avx2};
#endif
    return Loops{sums_generic, affine_generic, grad_generic, affine_relu_generic, sums_masked_generic, grad_masked_generic, sums_masked_emit_generic, affine_add_relu_generic};
  }();
  return chosen;
}

int parts_for(Index m, int c) {
  const Index work = m * c;
  return static_cast<int>(std::max<Index>(1, std::min<Index>(16, work / 16384)));
}

namespace {

// Per-part float64 sums (part(p, r0, r1, acc0, acc1)) added in part order.
template <typename Part>
void ordered_sums(Index m, int c, double* s0, double* s1, Part part) {
  const int parts = parts_for(m, c);
  std::vector<double> partial(static_cast<std::size_t>(parts) * 2 * c, 0.0);
  parallel_for(parts, [&](int p, int) {
    double* acc = partial.data() + static_cast<Index>(p) * 2 * c;
    part(m * p / parts, m * (p + 1) / parts, acc, acc + c);
  });
  std::fill(s0, s0 + c, 0.0);
  std::fill(s1, s1 + c, 0.0);
  for (int p = 0; p < parts; p++) {
    const double* acc = partial.data() + static_cast<Index>(p) * 2 * c;
    for (int k = 0; k < c; k++) {
      s0[k] += acc[k];
      s1[k] += acc[c + k];
    }
  }
}

}  // namespace

void channel_sums(const float* a, const float* b, Index m, int c, double* s0, double* s1) {
  const Loops& l = loops();
  ordered_sums(m, c, s0, s1, [&](Index r0, Index r1, double* a0, double* a1) { l.sums(a, b, r0, r1, c, a0, a1); });
}

void channel_sums_masked(const float* dy, const float* y, const float* x, Index m, int c, double* s0, double* s1) {
  const Loops& l = loops();
  ordered_sums(m, c, s0, s1, [&](Index r0, Index r1, double* a0, double* a1) { l.sums_masked(dy, y, x, r0, r1, c, a0, a1); });
}

void channel_sums_masked_emit(const float* dy, const float* y, const float* x, Index m, int c, double* s0, double* s1, float* g) {
  const Loops& l = loops();
  ordered_sums(m, c, s0, s1, [&](Index r0, Index r1, double* a0, double* a1) { l.sums_masked_emit(dy, y, x, r0, r1, c, a0, a1, g); });
}

}  // namespace wb::bn
