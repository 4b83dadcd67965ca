// Element-wise float32 ops over same-shape tensors, threaded (the wasm ones run on one thread).
#pragma once
#include <cstddef>

namespace wb {

enum class ElementwiseOp { Add = 0, Multiply = 1, Relu = 2 };

// y = a op b (Relu: y = a < 0 ? 0 : a, b unused; NaN stays NaN as in TF.js)
void elementwise(ElementwiseOp op, const float* a, const float* b, float* y, std::ptrdiff_t count);

}  // namespace wb
