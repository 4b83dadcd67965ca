// Kernel bnScaleShift: y = x * scale[c] + shift[c] over x [m, c], optionally followed by ReLU (and
// before it a residual add: a ResNet block's end) in the same pass.
#include <algorithm>
#include <vector>

#include "../batch_norm.h"
#include "../batch_norm_loops.h"
#include "../napi_args.h"
#include "../thread_pool.h"
#include "index.h"

namespace wb {

using bn::Index;

void bn_scale_shift(const float* x, const float* scale, const float* shift, Index m, int c, float* y, bool relu, const float* residual) {
  const int parts = bn::parts_for(m, c);
  const bn::Loops& l = bn::loops();
  if (residual != nullptr) {
    parallel_for(parts, [&](int p, int) { l.affine_add_relu(x, scale, shift, residual, m * p / parts, m * (p + 1) / parts, c, y); });
    return;
  }
  const auto affine = relu ? l.affine_relu : l.affine;
  parallel_for(parts, [&](int p, int) { affine(x, scale, shift, m * p / parts, m * (p + 1) / parts, c, y); });
}

// bnScaleShift(x, xo, scale, so, shift, sho, y, yo, m, c, relu[, residual, ro]): with a residual
// (relu must be 1) y = relu(x * scale + shift + residual), a ResNet block's end.
napi_value BnScaleShiftBinding(napi_env env, napi_callback_info info) {
  return napi::guarded(env, [&] {
    napi::Args a(env, info);
    const Index m = a.integer(8);
    const int c = static_cast<int>(a.integer(9));
    if (m < 1 || c < 1) throw napi::ArgError{"bnScaleShift: m and c must be positive"};
    const Index relu = a.integer(10);
    if (relu != 0 && relu != 1) throw napi::ArgError{"bnScaleShift: relu must be 0 or 1"};
    const float* residual = a.optional_tensor(11, m * c, "residual");
    if (residual != nullptr && relu != 1) throw napi::ArgError{"bnScaleShift: a residual needs relu 1"};
    bn_scale_shift(a.tensor(0, m * c, "x"), a.tensor(2, c, "scale"), a.tensor(4, c, "shift"), m, c, a.tensor(6, m * c, "y"), relu == 1,
                   residual);
  });
}

}  // namespace wb
