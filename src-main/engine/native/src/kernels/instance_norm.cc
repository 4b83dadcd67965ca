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
#include <vector>

#include "../napi_args.h"
#include "../thread_pool.h"
#include "index.h"

namespace wb {
namespace {

using Index = std::ptrdiff_t;

enum Act { kNone = 0, kRelu = 1, kLeaky = 2 };

// Row ranges per sample: about 16k elements each, at most 16.
int parts_for(Index hw, int c) { return static_cast<int>(std::max<Index>(1, std::min<Index>(16, hw * c / 16384))); }

inline float act_grad(float y, float dy, int act, float alpha) {
  if (act == kNone || y > 0.0f) return dy;
  return act == kRelu ? 0.0f : dy * alpha;
}

// s0[k] = sum a, s1[k] = sum a*b over rows [r0, r1) of one sample (b == nullptr: b = a).
void sums(const float* a, const float* b, Index r0, Index r1, int c, double* s0, double* s1) {
  for (Index r = r0; r < r1; r++) {
    const float* ra = a + r * c;
    const float* rb = (b ? b : a) + r * c;
    for (int k = 0; k < c; k++) {
      const double va = ra[k];
      s0[k] += va;
      s1[k] += va * static_cast<double>(rb[k]);
    }
  }
}

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
  std::vector<double> s;
  sample_sums(batch, hw, c, s, [&](Index n, Index r0, Index r1, double* s0, double* s1) { sums(x + n * hw * c, nullptr, r0, r1, c, s0, s1); });
  std::vector<float> mean(static_cast<std::size_t>(batch) * c);
  for (Index n = 0; n < batch; n++)
    for (int k = 0; k < c; k++) {
      const double mu = s[n * 2 * c + k] / static_cast<double>(hw);
      const double var = std::max(0.0, s[n * 2 * c + c + k] / static_cast<double>(hw) - mu * mu);
      mean[n * c + k] = static_cast<float>(mu);
      rstd[n * c + k] = static_cast<float>(1.0 / std::sqrt(var + static_cast<double>(eps)));
    }
  sample_rows(batch, hw, c, [&](Index n, Index r0, Index r1) {
    const float* m = mean.data() + n * c;
    const float* rs = rstd + n * c;
    for (Index r = r0; r < r1; r++) {
      const Index o = (n * hw + r) * c;
      for (int k = 0; k < c; k++) {
        const float v = (x[o + k] - m[k]) * rs[k];
        y[o + k] = v;
        if (out) out[o + k] = v > 0.0f ? v : (act == kRelu ? 0.0f : v * alpha);
      }
    }
  });
}

void instance_norm_grad(const float* dy, const float* y, const float* rstd, Index batch, Index hw, int c, int act, float alpha, float* dx) {
  std::vector<double> s;
  sample_sums(batch, hw, c, s, [&](Index n, Index r0, Index r1, double* s0, double* s1) {
    for (Index r = r0; r < r1; r++) {
      const Index o = (n * hw + r) * c;
      for (int k = 0; k < c; k++) {
        const double g = act_grad(y[o + k], dy[o + k], act, alpha);
        s0[k] += g;
        s1[k] += g * static_cast<double>(y[o + k]);
      }
    }
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
    const float* b = a + c;
    const float* d = b + c;
    for (Index r = r0; r < r1; r++) {
      const Index o = (n * hw + r) * c;
      for (int k = 0; k < c; k++) dx[o + k] = a[k] * act_grad(y[o + k], dy[o + k], act, alpha) + b[k] * y[o + k] + d[k];
    }
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
