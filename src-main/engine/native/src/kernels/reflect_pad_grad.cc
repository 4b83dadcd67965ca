// Kernel reflectPadGrad: the gradient of a reflect padding (PyTorch ReflectionPad2d, TF.js
// mirrorPad 'reflect') of x [b, h, w, c] by p rows/columns on each side: every padded pixel's
// gradient is added to the pixel it copies, dx[i][j] += dy[pi][pj] with i = reflect(pi - p, h),
// j = reflect(pj - p, w). (TF.js' own MirrorPad gradient only slices the centre out of dy and
// drops the borders' share.) One task per sample, pixels in a fixed order: deterministic.
#include <cstring>

#include "../napi_args.h"
#include "../thread_pool.h"
#include "index.h"

namespace wb {

using Index = std::ptrdiff_t;

namespace {
// reflect(-1) = 1, reflect(n) = n - 2: the edge itself is not repeated.
inline Index reflect(Index i, Index n) { return i < 0 ? -i : (i >= n ? 2 * (n - 1) - i : i); }
}  // namespace

void reflect_pad_grad(const float* dy, Index b, Index h, Index w, Index c, Index p, float* dx) {
  const Index ph = h + 2 * p, pw = w + 2 * p;
  parallel_for(static_cast<int>(b), [&](int n, int) {
    float* out = dx + n * h * w * c;
    const float* in = dy + n * ph * pw * c;
    // Centre first (a copy), then the borders added in row-major order.
    for (Index i = 0; i < h; i++) std::memcpy(out + i * w * c, in + ((i + p) * pw + p) * c, static_cast<std::size_t>(w * c) * sizeof(float));
    for (Index pi = 0; pi < ph; pi++) {
      const bool row_border = pi < p || pi >= p + h;
      const Index i = reflect(pi - p, h);
      for (Index pj = 0; pj < pw; pj++) {
        if (!row_border && pj >= p && pj < p + w) continue;
        const Index j = reflect(pj - p, w);
        const float* src = in + (pi * pw + pj) * c;
        float* dst = out + (i * w + j) * c;
        for (Index k = 0; k < c; k++) dst[k] += src[k];
      }
    }
  });
}

// reflectPadGrad(dy, dyo, dx, dxo, b, h, w, c, p): h, w = x's size
napi_value ReflectPadGradBinding(napi_env env, napi_callback_info info) {
  return napi::guarded(env, [&] {
    napi::Args a(env, info);
    const Index b = a.integer(4), h = a.integer(5), w = a.integer(6), c = a.integer(7), p = a.integer(8);
    if (b < 1 || h < 1 || w < 1 || c < 1 || p < 0) throw napi::ArgError{"reflectPadGrad: b, h, w, c must be positive and p >= 0"};
    if (p >= h || p >= w) throw napi::ArgError{"reflectPadGrad: reflect padding must be smaller than the image"};
    reflect_pad_grad(a.tensor(0, b * (h + 2 * p) * (w + 2 * p) * c, "dy"), b, h, w, c, p, a.tensor(2, b * h * w * c, "dx"));
  });
}

}  // namespace wb
