// Kernel bnMoments: per-channel mean and biased variance of x [m, c] (float64 sums).
#include <algorithm>
#include <vector>

#include "../batch_norm.h"
#include "../batch_norm_loops.h"
#include "../napi_args.h"
#include "../thread_pool.h"
#include "index.h"

namespace wb {

using bn::Index;

void bn_moments(const float* x, Index m, int c, float* mean, float* variance) {
  std::vector<double> s(2 * static_cast<std::size_t>(c));
  bn::channel_sums(x, x, m, c, s.data(), s.data() + c);
  for (int k = 0; k < c; k++) {
    const double mu = s[k] / static_cast<double>(m);
    mean[k] = static_cast<float>(mu);
    variance[k] = static_cast<float>(std::max(0.0, s[c + k] / static_cast<double>(m) - mu * mu));
  }
}

// bnMoments(x, xo, mean, mo, variance, vo, m, c)
napi_value BnMomentsBinding(napi_env env, napi_callback_info info) {
  return napi::guarded(env, [&] {
    napi::Args a(env, info);
    const Index m = a.integer(6);
    const int c = static_cast<int>(a.integer(7));
    if (m < 1 || c < 1) throw napi::ArgError{"bnMoments: m and c must be positive"};
    bn_moments(a.tensor(0, m * c, "x"), m, c, a.tensor(2, c, "mean"), a.tensor(4, c, "variance"));
  });
}

}  // namespace wb
