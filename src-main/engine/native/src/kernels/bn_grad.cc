// Kernel bnGrad: dx, dgamma and dbeta of training-mode BatchNorm over x [m, c], optionally through a ReLU that follows it.
#include <algorithm>
#include <vector>

#include "../batch_norm.h"
#include "../batch_norm_loops.h"
#include "../napi_args.h"
#include "../thread_pool.h"
#include "index.h"

namespace wb {

using bn::Index;

void bn_grad(const float* dy, const float* x, const float* mean, const float* invstd, const float* gamma, Index m, int c, float* dx,
             float* dgamma, float* dbeta, const float* relu_out, float* masked_out) {
  std::vector<double> s(2 * static_cast<std::size_t>(c));
  // sum(dy), sum(dy*x), with dy masked by the ReLU's step where one follows
  if (relu_out && masked_out)
    bn::channel_sums_masked_emit(dy, relu_out, x, m, c, s.data(), s.data() + c, masked_out);
  else if (relu_out)
    bn::channel_sums_masked(dy, relu_out, x, m, c, s.data(), s.data() + c);
  else
    bn::channel_sums(dy, x, m, c, s.data(), s.data() + c);
  std::vector<float> a(c), b(c), d(c);
  for (int k = 0; k < c; k++) {
    const double inv = invstd[k];
    const double sum_dy = s[k];
    const double dg = inv * (s[c + k] - static_cast<double>(mean[k]) * sum_dy);
    dgamma[k] = static_cast<float>(dg);
    dbeta[k] = static_cast<float>(sum_dy);
    const double scale = static_cast<double>(gamma[k]) * inv / static_cast<double>(m);
    a[k] = static_cast<float>(scale * static_cast<double>(m));
    b[k] = static_cast<float>(-scale * inv * dg);
    d[k] = static_cast<float>(-scale * sum_dy);
  }
  const int parts = bn::parts_for(m, c);
  const bn::Loops& l = bn::loops();
  parallel_for(parts, [&](int p, int) {
    if (masked_out)  // the masked gradient is in memory now: the plain loop over it, the same values
      l.grad(masked_out, x, a.data(), b.data(), mean, d.data(), m * p / parts, m * (p + 1) / parts, c, dx);
    else if (relu_out)
      l.grad_masked(dy, relu_out, x, a.data(), b.data(), mean, d.data(), m * p / parts, m * (p + 1) / parts, c, dx);
    else
      l.grad(dy, x, a.data(), b.data(), mean, d.data(), m * p / parts, m * (p + 1) / parts, c, dx);
  });
}

// bnGrad(dy, dyo, x, xo, mean, mo, invstd, io, gamma, go, dx, dxo, dgamma, dgo, dbeta, dbo, m, c, reluOut | null, ro[, maskedOut, mo]):
// with maskedOut (needs reluOut) also writes dy * step(reluOut) there (a block end's residual gradient).
napi_value BnGradBinding(napi_env env, napi_callback_info info) {
  return napi::guarded(env, [&] {
    napi::Args a(env, info);
    const Index m = a.integer(16);
    const int c = static_cast<int>(a.integer(17));
    if (m < 1 || c < 1) throw napi::ArgError{"bnGrad: m and c must be positive"};
    float* const masked = a.optional_tensor(20, m * c, "maskedOut");
    if (masked != nullptr && a.is_null(18)) throw napi::ArgError{"bnGrad: maskedOut needs reluOut"};
    bn_grad(a.tensor(0, m * c, "dy"), a.tensor(2, m * c, "x"), a.tensor(4, c, "mean"), a.tensor(6, c, "invstd"),
                a.tensor(8, c, "gamma"), m, c, a.tensor(10, m * c, "dx"), a.tensor(12, c, "dgamma"), a.tensor(14, c, "dbeta"),
                a.optional_tensor(18, m * c, "reluOut"), masked);
  });
}

}  // namespace wb
