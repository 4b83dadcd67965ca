#include "elementwise.h"

#include <algorithm>

#include "thread_pool.h"

namespace wb {

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

}  // namespace wb
