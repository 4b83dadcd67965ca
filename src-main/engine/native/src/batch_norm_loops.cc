#include "batch_norm_loops.h"

#include <algorithm>
#include <cstring>
#include <vector>

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
WB_INLINE void sums_body(const float* a, const float* b, Index r0, Index r1, int c, double* s0, double* s1) {
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

WB_INLINE void affine_body(const float* x, const float* scale, const float* shift, Index r0, Index r1, int c, float* y) {
  for (Index r = r0; r < r1; r++) {
    const float* rx = x + r * c;
    float* ry = y + r * c;
    for (int k = 0; k < c; k++) ry[k] = rx[k] * scale[k] + shift[k];
  }
}

// dx = a*dy + b*(x - mean) + d per channel
WB_INLINE void grad_body(const float* dy, const float* x, const float* a, const float* b, const float* mean, const float* d, Index r0,
                         Index r1, int c, float* dx) {
  for (Index r = r0; r < r1; r++) {
    const float* rdy = dy + r * c;
    const float* rx = x + r * c;
    float* rdx = dx + r * c;
    for (int k = 0; k < c; k++) rdx[k] = a[k] * rdy[k] + b[k] * (rx[k] - mean[k]) + d[k];
  }
}

WB_INLINE void affine_relu_body(const float* x, const float* scale, const float* shift, Index r0, Index r1, int c, float* y) {
  for (Index r = r0; r < r1; r++) {
    const float* rx = x + r * c;
    float* ry = y + r * c;
    for (int k = 0; k < c; k++) {
      const float v = rx[k] * scale[k] + shift[k];  // as affine_body (no contraction: -ffp-contract=off)
      ry[k] = v < 0.0f ? 0.0f : v;
    }
  }
}

WB_INLINE void affine_add_relu_body(const float* x, const float* scale, const float* shift, const float* res, Index r0, Index r1, int c,
                                    float* y) {
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

WB_INLINE void sums_masked_body(const float* dy, const float* y, const float* x, Index r0, Index r1, int c, double* s0, double* s1) {
  for (Index r = r0; r < r1; r++) {
    const float* rdy = dy + r * c;
    const float* ry = y + r * c;
    const float* rx = x + r * c;
    for (int k = 0; k < c; k++) {
      const float g = rdy[k] * relu_step(ry[k]);
      const double va = g;
      s0[k] += va;
      s1[k] += va * static_cast<double>(rx[k]);
    }
  }
}

WB_INLINE void sums_masked_emit_body(const float* dy, const float* y, const float* x, Index r0, Index r1, int c, double* s0, double* s1,
                                     float* g) {
  for (Index r = r0; r < r1; r++) {
    const float* rdy = dy + r * c;
    const float* ry = y + r * c;
    const float* rx = x + r * c;
    float* rg = g + r * c;
    for (int k = 0; k < c; k++) {
      const float v = rdy[k] * relu_step(ry[k]);  // as sums_masked_body
      rg[k] = v;
      const double va = v;
      s0[k] += va;
      s1[k] += va * static_cast<double>(rx[k]);
    }
  }
}

WB_INLINE void grad_masked_body(const float* dy, const float* y, const float* x, const float* a, const float* b, const float* mean,
                                const float* d, Index r0, Index r1, int c, float* dx) {
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
  TARGET void sums_masked_emit_##SUFFIX WB_SUMS_EMIT_ARGS { sums_masked_emit_body(dy, y, x, r0, r1, c, s0, s1, g); }                        \
  TARGET void affine_add_relu_##SUFFIX WB_AFFINE_ADD_ARGS { affine_add_relu_body(x, scale, shift, res, r0, r1, c, y); }                      \
  TARGET void affine_relu_##SUFFIX WB_AFFINE_ARGS { affine_relu_body(x, scale, shift, r0, r1, c, y); }                                       \
  TARGET void sums_masked_##SUFFIX WB_SUMS_MASKED_ARGS { sums_masked_body(dy, y, x, r0, r1, c, s0, s1); }                                    \
  TARGET void grad_masked_##SUFFIX WB_GRAD_MASKED_ARGS { grad_masked_body(dy, y, x, a, b, mean, d, r0, r1, c, dx); }

void sums_generic WB_SUMS_ARGS { sums_body(a, b, r0, r1, c, s0, s1); }
void affine_generic WB_AFFINE_ARGS { affine_body(x, scale, shift, r0, r1, c, y); }
void grad_generic WB_GRAD_ARGS { grad_body(dy, x, a, b, mean, d, r0, r1, c, dx); }
#ifdef WB_X86
__attribute__((target("avx2,fma"))) void sums_avx2 WB_SUMS_ARGS { sums_body(a, b, r0, r1, c, s0, s1); }
__attribute__((target("avx2,fma"))) void affine_avx2 WB_AFFINE_ARGS { affine_body(x, scale, shift, r0, r1, c, y); }
__attribute__((target("avx2,fma"))) void grad_avx2 WB_GRAD_ARGS { grad_body(dy, x, a, b, mean, d, r0, r1, c, dx); }
__attribute__((target("avx512f"))) void sums_avx512 WB_SUMS_ARGS { sums_body(a, b, r0, r1, c, s0, s1); }
__attribute__((target("avx512f"))) void affine_avx512 WB_AFFINE_ARGS { affine_body(x, scale, shift, r0, r1, c, y); }
__attribute__((target("avx512f"))) void grad_avx512 WB_GRAD_ARGS { grad_body(dy, x, a, b, mean, d, r0, r1, c, dx); }
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
