// NHWC convolutions (dilation 1) as GEMMs over an im2col of x, TF.js filter layout [kh, kw, ci, co].
#pragma once
#include <cstddef>
#include <vector>

namespace wb {

// A buffer of at least n floats that only ever grows: kernels keep one per thread, and a
// std::vector resized down and up again would zero the regrown part on every call.
inline float* scratch(std::vector<float>& buffer, std::size_t n) {
  if (buffer.size() < n) buffer.resize(n);
  return buffer.data();
}

struct ConvShape {
  int n, h, w, ci;  // x [n, h, w, ci]
  int kh, kw, co;   // filter [kh, kw, ci, co]
  int oh, ow;       // y [n, oh, ow, co]
  int sh, sw;       // strides
  int pt, pl;       // padding before rows / columns (after is implied by oh, ow)
};

// What is done to each output row while it is still in cache, instead of separate passes over y:
//   y[p, c] = act(residual[p, c] + bias[c] + sum over j with scatter[j] == c of (conv[p, j] + add_map[pix(p), j]))
// with scatter the identity when absent (then channels == co). Every pointer may be null.
struct Epilogue {
  const float* bias = nullptr;      // [channels]
  const float* add_map = nullptr;   // [oh, ow, co], the same for every image of the batch
  const float* residual = nullptr;  // [n, oh, ow, channels]
  const int* scatter = nullptr;     // [co]: output channel of each conv channel, in [0, channels)
  const int* gather = nullptr;      // [channels]: the inverse of an injective scatter, -1 for none (set by conv2d)
  int channels = 0;                 // width of y's rows (co without scatter)
  bool relu = false;
  // Evaluation only (the conv-tail op): the conv may take a path whose rounding differs from the
  // training forward's (Winograd, winograd.h); training convs leave it false and keep their bits.
  bool inference = false;
};

// y = conv(x, w), then the epilogue when given (y is then [n, oh, ow, ep->channels])
void conv2d(const ConvShape& s, const float* x, const float* w, float* y, const Epilogue* ep = nullptr);
// dw[kh,kw,ci,co] = sum_{n,oh,ow} x_pad[n, oh*sh+i, ow*sw+j, ci] * dy[n,oh,ow,co]
void conv2d_backprop_filter(const ConvShape& s, const float* x, const float* dy, float* dw);
// dx = col2im(dy [M, co] * w^T [co, K]), plus addend (x's shape, another gradient of x) when given
void conv2d_backprop_input(const ConvShape& s, const float* dy, const float* w, float* dx, const float* addend = nullptr);

}  // namespace wb
