// Element-wise float32 ops, threaded (the wasm ones run on one thread), with the one broadcast
// that training needs most: b repeated over a middle block of a's dimensions
// (InstanceNorm's [N,H,W,C] op [N,1,1,C], a bias's [N,H,W,C] op [C]).
#pragma once
#include <cstddef>

namespace wb {

// Sub: y = a - b; ReverseSub: y = b - a (TF.js's Sub with the broadcast operand first).
// ReluGrad: y = a * step(b), a = dy, b = ReLU's output (step: 1 where b > 0, 0 where not, NaN
// for NaN, as TF.js' Step): ReLU's gradient in one pass instead of Step, Cast and Multiply.
enum class ElementwiseOp { Add = 0, Multiply = 1, Relu = 2, Sub = 3, ReverseSub = 4, ReluGrad = 5 };

// y[o, m, i] = a[o, m, i] op b[o, i] for o < outer, m < mid, i < inner (same shapes: mid = 1).
// Relu: y = a < 0 ? 0 : a, b unused; NaN stays NaN as in TF.js. One float32 rounding per
// element, as the wasm kernels: the results are identical to theirs.
void elementwise(ElementwiseOp op, const float* a, const float* b, float* y, std::ptrdiff_t outer, std::ptrdiff_t mid, std::ptrdiff_t inner);

}  // namespace wb
