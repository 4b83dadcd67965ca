// Kernel elementwise: same-shape float32 Add, Multiply and Relu, threaded (the wasm ones run on one thread).
#include <algorithm>
#include <string>

#include "../elementwise.h"
#include "../napi_args.h"
#include "../thread_pool.h"
#include "index.h"

namespace wb {

using Index = std::ptrdiff_t;

void elementwise(ElementwiseOp op, const float* a, const float* b, float* y, std::ptrdiff_t count) {
  // Fixed-size chunks handed out dynamically: on a shared machine a descheduled worker's
  // share is taken over by the others instead of being waited for.
  constexpr std::ptrdiff_t kChunk = 1 << 15;
  const int tasks = static_cast<int>((count + kChunk - 1) / kChunk);
  parallel_for(tasks, [&](int t, int) {
    const std::ptrdiff_t i0 = kChunk * t, i1 = std::min(count, i0 + kChunk);
    switch (op) {
      case ElementwiseOp::Add:
        for (std::ptrdiff_t i = i0; i < i1; i++) y[i] = a[i] + b[i];
        break;
      case ElementwiseOp::Multiply:
        for (std::ptrdiff_t i = i0; i < i1; i++) y[i] = a[i] * b[i];
        break;
      case ElementwiseOp::Relu:
        for (std::ptrdiff_t i = i0; i < i1; i++) y[i] = a[i] < 0.0f ? 0.0f : a[i];
        break;
    }
  });
}

// elementwise(op, a, ao, b, bo, y, yo, count): op 0 add, 1 multiply, 2 relu (b ignored but checked)
napi_value ElementwiseBinding(napi_env env, napi_callback_info info) {
  return napi::guarded(env, [&] {
    napi::Args a(env, info);
    const Index op = a.integer(0);
    const Index count = a.integer(7);
    if (op < 0 || op > 2) throw napi::ArgError{"elementwise: unknown op " + std::to_string(op)};
    if (count < 0) throw napi::ArgError{"elementwise: negative count"};
    const float* x = a.tensor(1, count, "a");
    const float* y = op == 2 ? x : a.tensor(3, count, "b");
    elementwise(static_cast<ElementwiseOp>(op), x, y, a.tensor(5, count, "y"), count);
  });
}

}  // namespace wb
