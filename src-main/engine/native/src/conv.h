// NHWC convolutions (dilation 1) as GEMMs over an im2col of x, TF.js filter layout [kh, kw, ci, co].
#pragma once

namespace wb {

struct ConvShape {
  int n, h, w, ci;  // x [n, h, w, ci]
  int kh, kw, co;   // filter [kh, kw, ci, co]
  int oh, ow;       // y [n, oh, ow, co]
  int sh, sw;       // strides
  int pt, pl;       // padding before rows / columns (after is implied by oh, ow)
};

// y = conv(x, w)
void conv2d(const ConvShape& s, const float* x, const float* w, float* y);
// dw[kh,kw,ci,co] = sum_{n,oh,ow} x_pad[n, oh*sh+i, ow*sw+j, ci] * dy[n,oh,ow,co]
void conv2d_backprop_filter(const ConvShape& s, const float* x, const float* dy, float* dw);
// dx = col2im(dy [M, co] * w^T [co, K])
void conv2d_backprop_input(const ConvShape& s, const float* dy, const float* w, float* dx);

}  // namespace wb
