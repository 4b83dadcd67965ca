// Kernel elementwise: float32 Add, Multiply, Sub and Relu, threaded, same shapes or b broadcast
// over a middle block of a's dimensions (elementwise.h).
#include <algorithm>
#include <string>

#include "../elementwise.h"
#include "../napi_args.h"
#include "../thread_pool.h"
#include "index.h"

namespace wb {

using Index = std::ptrdiff_t;

namespace {

template <typename F>
void rows(const float* a, const float* b, float* y, Index n, F f) {
  for (Index i = 0; i < n; i++) y[i] = f(a[i], b[i]);
}

void apply(ElementwiseOp op, const float* a, const float* b, float* y, Index n) {
  switch (op) {
    case ElementwiseOp::Add:
      rows(a, b, y, n, [](float u, float v) { return u + v; });
      break;
    case ElementwiseOp::Multiply:
      rows(a, b, y, n, [](float u, float v) { return u * v; });
      break;
    case ElementwiseOp::Sub:
      rows(a, b, y, n, [](float u, float v) { return u - v; });
      break;
    case ElementwiseOp::ReverseSub:
      rows(a, b, y, n, [](float u, float v) { return v - u; });
      break;
    case ElementwiseOp::Relu:
      for (Index i = 0; i < n; i++) y[i] = a[i] < 0.0f ? 0.0f : a[i];
      break;
    case ElementwiseOp::ReluGrad:
      // The same product as Multiply(dy, Cast(Step(y))), so the same bits (a negative dy times
      // 0 is -0, as there). Two flat selects (`v == v` is false for NaN only) so GCC vectorises
      // the loop; the nested ternary compiled to a scalar branch per element, slower than the
      // three kernels it replaces.
      rows(a, b, y, n, [](float u, float v) {
        float m = v > 0.0f ? 1.0f : 0.0f;
        m = v == v ? m : v;
        return u * m;
      });
      break;
  }
}

}  // namespace

void elementwise(ElementwiseOp op, const float* a, const float* b, float* y, Index outer, Index mid, Index inner) {
  // Fixed-size chunks handed out dynamically: on a shared machine a descheduled worker's
  // share is taken over by the others instead of being waited for.
  constexpr Index kChunk = 1 << 15;
  if (mid == 1) {
    const Index count = outer * inner;
    const int tasks = static_cast<int>((count + kChunk - 1) / kChunk);
    parallel_for(tasks, [&](int t, int) {
      const Index i0 = kChunk * t, i1 = std::min(count, i0 + kChunk);
      apply(op, a + i0, b + i0, y + i0, i1 - i0);
    });
    return;
  }
  // Broadcast: a task is a run of whole rows of `inner` values, each against b's row of its o.
  const Index total = outer * mid;
  const Index per_task = std::max<Index>(1, kChunk / std::max<Index>(1, inner));
  const int tasks = static_cast<int>((total + per_task - 1) / per_task);
  parallel_for(tasks, [&](int t, int) {
    const Index r0 = per_task * t, r1 = std::min(total, r0 + per_task);
    for (Index r = r0; r < r1; r++) apply(op, a + r * inner, b + (r / mid) * inner, y + r * inner, inner);
  });
}

// elementwise(op, a, ao, b, bo, y, yo, outer, mid, inner): op 0 add, 1 multiply, 2 relu (b ignored
// but checked), 3 sub, 4 reverse sub, 5 relu gradient (dy, relu output; same shapes only); a and y
// hold outer*mid*inner values, b outer*inner.
napi_value ElementwiseBinding(napi_env env, napi_callback_info info) {
  return napi::guarded(env, [&] {
    napi::Args a(env, info);
    const Index op = a.integer(0);
    const Index outer = a.integer(7), mid = a.integer(8), inner = a.integer(9);
    if (op < 0 || op > 5) throw napi::ArgError{"elementwise: unknown op " + std::to_string(op)};
    if (outer < 0 || mid < 1 || inner < 0) throw napi::ArgError{"elementwise: bad extents"};
    if (op == 5 && mid != 1) throw napi::ArgError{"elementwise: the relu gradient takes same-shape operands"};
    const Index count = outer * mid * inner;
    const float* x = a.tensor(1, count, "a");
    const float* y = op == 2 ? x : a.tensor(3, outer * inner, "b");
    elementwise(static_cast<ElementwiseOp>(op), x, y, a.tensor(5, count, "y"), outer, mid, inner);
  });
}

}  // namespace wb
