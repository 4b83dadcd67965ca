// Stride-1 convolution vectorised over output pixels instead of output channels.
//
// The GEMM path (kernels/conv2d_ex.cc) keeps 16 output channels per vector, so a layer with 12 or 23 filters
// (what Soft Filter Pruning leaves of 16 or 32) costs as much as one with 16 or 32, and it copies
// every input value kh*kw times into an im2col buffer first. Here each vector holds 16
// neighbouring output pixels of one channel: the input is read straight from a channel-planar,
// zero-padded copy of each image row (one unaligned load per tap and input channel), the filter
// values are broadcast, and any filter count costs exactly its own lanes (16 pixels per AVX-512
// vector; elsewhere the GEMM path runs).
#pragma once
#include <cstddef>

#include "conv.h"

namespace wb {

// Receives the conv values of consecutive output rows (pixels) m0 .. m0+rows, row stride co.
class RowSink {
 public:
  virtual ~RowSink() = default;
  // Where to write them (called on a worker thread).
  virtual float* begin(std::ptrdiff_t m0, int rows) = 0;
  // They are complete (same thread, same buffer).
  virtual void end(std::ptrdiff_t m0, int rows, float* values) = 0;
};

// True when direct_conv2d handles this shape on this CPU (stride 1, a spatial filter, x86 with
// AVX-512, rows of at least 12 pixels; env WORKBENCH_NATIVE_DIRECT=0 turns it off for comparisons).
bool direct_conv_applies(const ConvShape& s);

void direct_conv2d(const ConvShape& s, const float* x, const float* w, RowSink& sink);

}  // namespace wb
