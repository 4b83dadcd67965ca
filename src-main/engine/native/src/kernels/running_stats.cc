// Kernel runningStatsUpdate: a training BatchNorm's running mean and variance moved towards the
// batch's in one call (engine/ops/running-stats.ts), the float32 operations of the TF.js ops it
// replaces (two Multiply and one Add per statistic), in their order:
//   mean' = mean*keep + batchMean*a,  variance' = variance*keep + batchVariance*b
// No fused multiply-add: every product rounds to float32 as the separate kernels do.
#include "../no_fp_contract.h"
#include "../napi_args.h"
#include "index.h"

namespace wb {

using Index = std::ptrdiff_t;

// p = [keep, a, b] as float32; a few hundred channels at most: one thread
void running_stats_update(const float* mean, const float* var, const float* bmean, const float* bvar, const float* p, Index n,
                          float* mean_out, float* var_out) {
  const float keep = p[0], a = p[1], b = p[2];
  for (Index i = 0; i < n; i++) {
    const float m0 = mean[i] * keep;
    const float m1 = bmean[i] * a;
    mean_out[i] = m0 + m1;
    const float v0 = var[i] * keep;
    const float v1 = bvar[i] * b;
    var_out[i] = v0 + v1;
  }
}

// runningStatsUpdate(mean, o, var, o, batchMean, o, batchVar, o, params, po, meanOut, o, varOut, o, n)
napi_value RunningStatsUpdateBinding(napi_env env, napi_callback_info info) {
  return napi::guarded(env, [&] {
    napi::Args a(env, info);
    const Index n = a.integer(14);
    if (n < 1) throw napi::ArgError{"runningStatsUpdate: n must be positive"};
    running_stats_update(a.tensor(0, n, "mean"), a.tensor(2, n, "variance"), a.tensor(4, n, "batch mean"), a.tensor(6, n, "batch variance"),
                         a.tensor(8, 3, "params"), n, a.tensor(10, n, "mean out"), a.tensor(12, n, "variance out"));
  });
}

}  // namespace wb
