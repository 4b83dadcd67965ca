// Kernels instanceNorm and instanceNormGrad: parameter-free InstanceNorm over x [b, hw, c]
// (NHWC, statistics per sample and channel) with an optional ReLU / LeakyReLU applied to the
// normalised map, forward and backward in one kernel each (2 passes over the data each way).
//
//   y = (x - mean) * rstd,  rstd = 1 / sqrt(var + eps),  out = act(y)
//   g = act'(y) * dy,  dx = rstd * (g - mean(g) - y * mean(g * y))
//
// Per-channel sums are float64 over a fixed split of each sample's rows (the split depends on
// the shape only, never on the thread count), summed in a fixed order: results are the same
// on every run and pool size.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "../gemm.h"

#include "../napi_args.h"
#include "../thread_pool.h"
#include "index.h"

namespace wb {
namespace {

using Index = std::ptrdiff_t;

enum Act { kNone = 0, kRelu = 1, kLeaky = 2 };

// Row ranges per sample: about 16k elements each, at most 16.
int parts_for(Index hw, int c) { return static_cast<int>(std::max<Index>(1, std::min<Index>(16, hw * c / 16384))); }

// The row loops, written once and compiled per ISA like the BatchNorm loops (the variant matching
// the GEMM microkernel runs). The activation is a per-call slope for y <= 0 (none 1, relu 0,
// leaky alpha), so the loops have no branch: g = dy * (y > 0 ? 1 : slope), out = y > 0 ? y : y * slope.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define WB_IN_X86 1
#define WB_IN_INLINE inline __attribute__((always_inline))
#else
#define WB_IN_INLINE inline
#endif

// s0[k] += a, s1[k] += a*a over rows [r0, r1) (rows of c floats from a).
WB_IN_INLINE void fwd_sums_body(const float* a, Index r0, Index r1, int c, double* s0, double* s1) {
  for (Index r = r0; r < r1; r++) {
    const float* ra = a + r * c;
    for (int k = 0; k < c; k++) {
      const double v = ra[k];
      s0[k] += v;
      s1[k] += v * v;
    }
  }
}

WB_IN_INLINE void fwd_norm_body(const float* x, const float* mean, const float* rstd, float slope, Index r0, Index r1, int c, float* y, float* out) {
  for (Index r = r0; r < r1; r++) {
    const float* rx = x + r * c;
    float* ry = y + r * c;
    for (int k = 0; k < c; k++) ry[k] = (rx[k] - mean[k]) * rstd[k];
    if (out) {
      float* ro = out + r * c;
      for (int k = 0; k < c; k++) ro[k] = ry[k] > 0.0f ? ry[k] : ry[k] * slope;
    }
  }
}

// s0[k] += g, s1[k] += g*y with g = dy * (y > 0 ? 1 : slope)
WB_IN_INLINE void bwd_sums_body(const float* dy, const float* y, float slope, Index r0, Index r1, int c, double* s0, double* s1) {
  for (Index r = r0; r < r1; r++) {
    const float* rd = dy + r * c;
    const float* ry = y + r * c;
    for (int k = 0; k < c; k++) {
      const double g = rd[k] * (ry[k] > 0.0f ? 1.0f : slope);
      s0[k] += g;
      s1[k] += g * static_cast<double>(ry[k]);
    }
  }
}

// dx = a*g + b*y + d per channel
WB_IN_INLINE void bwd_dx_body(const float* dy, const float* y, float slope, const float* a, const float* b, const float* d, Index r0, Index r1, int c,
                              float* dx) {
  for (Index r = r0; r < r1; r++) {
    const float* rd = dy + r * c;
    const float* ry = y + r * c;
    float* rx = dx + r * c;
    for (int k = 0; k < c; k++) rx[k] = a[k] * (rd[k] * (ry[k] > 0.0f ? 1.0f : slope)) + b[k] * ry[k] + d[k];
  }
}

#define WB_IN_FS (const float* a, Index r0, Index r1, int c, double* s0, double* s1)
#define WB_IN_FN (const float* x, const float* mean, const float* rstd, float slope, Index r0, Index r1, int c, float* y, float* out)
#define WB_IN_BS (const float* dy, const float* y, float slope, Index r0, Index r1, int c, double* s0, double* s1)
#define WB_IN_BD (const float* dy, const float* y, float slope, const float* a, const float* b, const float* d, Index r0, Index r1, int c, float* dx)
#define WB_IN_VARIANT(attr, suffix)                                                                              \
  attr void fwd_sums_##suffix WB_IN_FS { fwd_sums_body(a, r0, r1, c, s0, s1); }                                  \
  attr void fwd_norm_##suffix WB_IN_FN { fwd_norm_body(x, mean, rstd, slope, r0, r1, c, y, out); }               \
  attr void bwd_sums_##suffix WB_IN_BS { bwd_sums_body(dy, y, slope, r0, r1, c, s0, s1); }                       \
  attr void bwd_dx_##suffix WB_IN_BD { bwd_dx_body(dy, y, slope, a, b, d, r0, r1, c, dx); }

WB_IN_VARIANT(, generic)
#ifdef WB_IN_X86
WB_IN_VARIANT(__attribute__((target("avx2,fma"))), avx2)
WB_IN_VARIANT(__attribute__((target("avx512f"))), avx512)
#endif

struct Loops {
  void(*fwd_sums) WB_IN_FS;
  void(*fwd_norm) WB_IN_FN;
  void(*bwd_sums) WB_IN_BS;
  void(*bwd_dx) WB_IN_BD;
};

const Loops& loops() {
  static const Loops chosen = [] {
#ifdef WB_IN_X86
    const char* isa = microkernel().name;
    if (std::strcmp(isa, "avx512f") == 0) return Loops{fwd_sums_avx512, fwd_norm_avx512, bwd_sums_avx512, bwd_dx_avx512};
    if (std::strcmp(isa, "avx2") == 0) return Loops{fwd_sums_avx2, fwd_norm_avx2, bwd_sums_avx2, bwd_dx_avx2};
#endif
    return Loops{fwd_sums_generic, fwd_norm_generic, bwd_sums_generic, bwd_dx_generic};
  }();
  return chosen;
}

inline float slope_of(int act, float alpha) { return act == kNone ? 1.0f : (act == kRelu ? 0.0f : alpha); }

// Per-sample sums of a and a*b (partials per part, added in part order): s [b][2][c].
template <typename RowSums>
void sample_sums(Index batch, Index hw, int c, std::vector<double>& s, RowSums row_sums) {
  const int parts = parts_for(hw, c);
  std::vector<double> partial(static_cast<std::size_t>(batch * parts) * 2 * c, 0.0);
  parallel_for(static_cast<int>(batch * parts), [&](int t, int) {
    const Index n = t / parts, p = t % parts;
    double* acc = partial.data() + static_cast<Index>(t) * 2 * c;
    row_sums(n, hw * p / parts, hw * (p + 1) / parts, acc, acc + c);
  });
  s.assign(static_cast<std::size_t>(batch) * 2 * c, 0.0);
  for (Index n = 0; n < batch; n++)
    for (int p = 0; p < parts; p++) {
      const double* acc = partial.data() + (n * parts + p) * 2 * c;
      for (int k = 0; k < 2 * c; k++) s[n * 2 * c + k] += acc[k];
    }
}

// Element pass over every sample's row range: fn(n, r0, r1).
template <typename Fn>
void sample_rows(Index batch, Index hw, int c, Fn fn) {
  const int parts = parts_for(hw, c);
  parallel_for(static_cast<int>(batch * parts), [&](int t, int) {
    const Index n = t / parts, p = t % parts;
    fn(n, hw * p / parts, hw * (p + 1) / parts);
  });
}

}  // namespace

void instance_norm(const float* x, Index batch, Index hw, int c, float eps, int act, float alpha, float* y, float* out, float* rstd) {
  const Loops& l = loops();
  std::vector<double> s;
  sample_sums(batch, hw, c, s, [&](Index n, Index r0, Index r1, double* s0, double* s1) { l.fwd_sums(x + n * hw * c, r0, r1, c, s0, s1); });
  std::vector<float> mean(static_cast<std::size_t>(batch) * c);
  for (Index n = 0; n < batch; n++)
    for (int k = 0; k < c; k++) {
      const double mu = s[n * 2 * c + k] / static_cast<double>(hw);
      const double var = std::max(0.0, s[n * 2 * c + c + k] / static_cast<double>(hw) - mu * mu);
      mean[n * c + k] = static_cast<float>(mu);
      rstd[n * c + k] = static_cast<float>(1.0 / std::sqrt(var + static_cast<double>(eps)));
    }
  const float slope = slope_of(act, alpha);
  sample_rows(batch, hw, c, [&](Index n, Index r0, Index r1) {
    const Index o = n * hw * c;
    l.fwd_norm(x + o, mean.data() + n * c, rstd + n * c, slope, r0, r1, c, y + o, act == kNone ? nullptr : out + o);
  });
}

void instance_norm_grad(const float* dy, const float* y, const float* rstd, Index batch, Index hw, int c, int act, float alpha, float* dx) {
  const Loops& l = loops();
  const float slope = slope_of(act, alpha);
  std::vector<double> s;
  sample_sums(batch, hw, c, s, [&](Index n, Index r0, Index r1, double* s0, double* s1) {
    const Index o = n * hw * c;
    l.bwd_sums(dy + o, y + o, slope, r0, r1, c, s0, s1);
  });
  // dx = a*g + b*y + d per (sample, channel)
  std::vector<float> coef(static_cast<std::size_t>(batch) * 3 * c);
  for (Index n = 0; n < batch; n++)
    for (int k = 0; k < c; k++) {
      const double r = rstd[n * c + k];
      coef[(n * 3 + 0) * c + k] = static_cast<float>(r);
      coef[(n * 3 + 1) * c + k] = static_cast<float>(-r * s[n * 2 * c + c + k] / static_cast<double>(hw));
      coef[(n * 3 + 2) * c + k] = static_cast<float>(-r * s[n * 2 * c + k] / static_cast<double>(hw));
    }
  sample_rows(batch, hw, c, [&](Index n, Index r0, Index r1) {
    const float* a = coef.data() + (n * 3 + 0) * c;
    const Index o = n * hw * c;
    l.bwd_dx(dy + o, y + o, slope, a, a + c, a + 2 * c, r0, r1, c, dx + o);
  });
}

namespace {

void check_shape(Index batch, Index hw, int c, int act, const char* what) {
  if (batch < 1 || hw < 1 || c < 1) throw napi::ArgError{std::string(what) + ": b, hw and c must be positive"};
  if (act < kNone || act > kLeaky) throw napi::ArgError{std::string(what) + ": activation must be 0 (none), 1 (relu) or 2 (leaky)"};
}

}  // namespace

// instanceNorm(x, xo, y, yo, out|null, oo, rstd, ro, params, po, b, hw, c, act): params = [eps, alpha]
// (a Float32Array: the float32 values the kernel computes with); out is required when act != 0.
napi_value InstanceNormBinding(napi_env env, napi_callback_info info) {
  return napi::guarded(env, [&] {
    napi::Args a(env, info);
    const Index batch = a.integer(10), hw = a.integer(11);
    const int c = static_cast<int>(a.integer(12)), act = static_cast<int>(a.integer(13));
    check_shape(batch, hw, c, act, "instanceNorm");
    const Index size = batch * hw * c;
    const float* params = a.tensor(8, 2, "params");
    float* out = a.optional_tensor(4, size, "out");
    if (act != kNone && !out) throw napi::ArgError{"instanceNorm: an activation needs the out tensor"};
    instance_norm(a.tensor(0, size, "x"), batch, hw, c, params[0], act, params[1], a.tensor(2, size, "y"), act == kNone ? nullptr : out,
                  a.tensor(6, batch * c, "rstd"));
  });
}

// instanceNormGrad(dy, dyo, y, yo, rstd, ro, dx, dxo, params, po, b, hw, c, act): params = [alpha]
napi_value InstanceNormGradBinding(napi_env env, napi_callback_info info) {
  return napi::guarded(env, [&] {
    napi::Args a(env, info);
    const Index batch = a.integer(10), hw = a.integer(11);
    const int c = static_cast<int>(a.integer(12)), act = static_cast<int>(a.integer(13));
    check_shape(batch, hw, c, act, "instanceNormGrad");
    const Index size = batch * hw * c;
    const float alpha = a.tensor(8, 1, "params")[0];
    instance_norm_grad(a.tensor(0, size, "dy"), a.tensor(2, size, "y"), a.tensor(4, batch * c, "rstd"), batch, hw, c, act, alpha,
                       a.tensor(6, size, "dx"));
  });
}

}  // namespace wb
