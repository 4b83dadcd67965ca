// Kernel sgdMomentumUpdate: one SGD-with-momentum step of one variable in one pass
// (engine/ops/sgd-momentum.ts), the float32 operations of the TF.js ops it replaces, in their order:
//   g = wd > 0 ? grad + w*wd : grad
//   buf' = first ? g : buf*m + g            (m > 0; without momentum buf is neither read nor written)
//   u = nesterov ? g + buf'*m : buf'        (m > 0; else u = g)
//   w' = w - u*lr
// That is train/sgd.ts' step (PyTorch's SGD) and, with wd = 0 and first = 0, TF.js'
// MomentumOptimizer (its w + (-lr)*buf' is the same float32 value as w - buf'*lr).
// Every step rounds to float32 as the separate kernels do: no fused multiply-add.
#include "../no_fp_contract.h"
#include <algorithm>

#include "../napi_args.h"
#include "../thread_pool.h"
#include "index.h"

namespace wb {

using Index = std::ptrdiff_t;

namespace {

template <bool DECAY, bool MOMENTUM, bool FIRST, bool NESTEROV>
void sgd_range(const float* w, const float* buf, const float* grad, float lr, float m, float wd, Index i0, Index i1, float* w_out,
               float* buf_out) {
  for (Index i = i0; i < i1; i++) {
    float g = grad[i];
    if constexpr (DECAY) {
      const float decay = w[i] * wd;
      g = g + decay;
    }
    float u = g;
    if constexpr (MOMENTUM) {
      float b = g;
      if constexpr (!FIRST) {
        const float kept = buf[i] * m;
        b = kept + g;
      }
      buf_out[i] = b;
      u = b;
      if constexpr (NESTEROV) {
        const float ahead = b * m;
        u = g + ahead;
      }
    }
    const float step = u * lr;
    w_out[i] = w[i] - step;
  }
}

using RangeFn = void (*)(const float*, const float*, const float*, float, float, float, Index, Index, float*, float*);

template <bool DECAY, bool MOMENTUM>
RangeFn pick(bool first, bool nesterov) {
  if (first) return nesterov ? sgd_range<DECAY, MOMENTUM, true, true> : sgd_range<DECAY, MOMENTUM, true, false>;
  return nesterov ? sgd_range<DECAY, MOMENTUM, false, true> : sgd_range<DECAY, MOMENTUM, false, false>;
}

}  // namespace

// p = [lr, momentum, weightDecay, nesterov (0/1), first (0/1)] as float32
void sgd_momentum_update(const float* w, const float* buf, const float* grad, const float* p, Index n, float* w_out, float* buf_out) {
  const float lr = p[0], m = p[1], wd = p[2];
  const bool nesterov = p[3] != 0.0f, first = p[4] != 0.0f;
  const bool decay = wd > 0.0f, momentum = m > 0.0f;
  const RangeFn fn = decay ? (momentum ? pick<true, true>(first, nesterov) : pick<true, false>(first, nesterov))
                           : (momentum ? pick<false, true>(first, nesterov) : pick<false, false>(first, nesterov));
  parallel_ranges(n, 16384, [&](Index i0, Index i1) { fn(w, buf, grad, lr, m, wd, i0, i1, w_out, buf_out); });
}

// sgdMomentumUpdate(w, wo, buf, bo, grad, go, params, po, wOut, o1, bufOut, o2, n)
napi_value SgdMomentumUpdateBinding(napi_env env, napi_callback_info info) {
  return napi::guarded(env, [&] {
    napi::Args a(env, info);
    const Index n = a.integer(12);
    if (n < 1) throw napi::ArgError{"sgdMomentumUpdate: n must be positive"};
    const float* p = a.tensor(6, 5, "params");
    const bool momentum = p[1] > 0.0f;
    sgd_momentum_update(a.tensor(0, n, "value"), momentum ? a.tensor(2, n, "buffer") : nullptr, a.tensor(4, n, "gradient"), p, n,
                        a.tensor(8, n, "value out"), momentum ? a.tensor(10, n, "buffer out") : nullptr);
  });
}

}  // namespace wb
