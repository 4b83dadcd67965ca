// Kernel adamUpdate: one Adam step of one variable in one pass (engine/ops/adam.ts), the same
// float32 operations in the same order as TF.js' AdamOptimizer, which runs them as ~12 kernels:
//   m' = m*b1 + g*(1-b1),  v' = v*b2 + (g*g)*(1-b2)
//   value' = ((m'/c1) / (sqrt(v'/c2) + eps)) * (-lr) + value,  c1 = 1-b1^t, c2 = 1-b2^t
// Every step rounds to float32 as the separate kernels do: no fused multiply-add.
#include "../no_fp_contract.h"
#include <algorithm>
#include <cmath>

#include "../napi_args.h"
#include "../thread_pool.h"
#include "index.h"

namespace wb {

using Index = std::ptrdiff_t;

// p = [b1, 1-b1, b2, 1-b2, c1, c2, eps, -lr] as float32
void adam_update(const float* value, const float* m, const float* v, const float* g, const float* p, Index n, float* value_out,
                 float* m_out, float* v_out) {
  const float b1 = p[0], ob1 = p[1], b2 = p[2], ob2 = p[3], c1 = p[4], c2 = p[5], eps = p[6], nlr = p[7];
  parallel_ranges(n, 16384, [&](Index i0, Index i1) {
    for (Index i = i0; i < i1; i++) {
      const float gi = g[i];
      const float mm = m[i] * b1 + gi * ob1;
      const float gg = gi * gi;
      const float vv = v[i] * b2 + gg * ob2;
      const float mhat = mm / c1;
      const float vhat = vv / c2;
      const float den = std::sqrt(vhat) + eps;
      const float step = (mhat / den) * nlr;
      m_out[i] = mm;
      v_out[i] = vv;
      value_out[i] = step + value[i];
    }
  });
}

// adamUpdate(value, vo, m, mo, v, vvo, g, go, params, po, valueOut, o1, mOut, o2, vOut, o3, n)
napi_value AdamUpdateBinding(napi_env env, napi_callback_info info) {
  return napi::guarded(env, [&] {
    napi::Args a(env, info);
    const Index n = a.integer(16);
    if (n < 1) throw napi::ArgError{"adamUpdate: n must be positive"};
    adam_update(a.tensor(0, n, "value"), a.tensor(2, n, "m"), a.tensor(4, n, "v"), a.tensor(6, n, "gradient"), a.tensor(8, 8, "params"), n,
                a.tensor(10, n, "value out"), a.tensor(12, n, "m out"), a.tensor(14, n, "v out"));
  });
}

}  // namespace wb
