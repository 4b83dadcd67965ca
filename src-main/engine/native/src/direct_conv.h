// Stride-1 convolution vectorised over output pixels instead of output channels.
//
// The GEMM path (kernels/conv2d_ex.cc) keeps 16 output channels per vector, so a layer with 12 or 23 filters
// (what Soft Filter Pruning leaves of 16 or 32) costs as much as one with 16 or 32, and it copies
// every input value kh*kw times into an im2col buffer first. Here each vector holds 16
// neighbouring output pixels of one channel: the input is read straight from a channel-planar,
// zero-padded copy of each image row (one unaligned load per tap and input channel), the filter
// values are broadcast, and any filter count costs exactly its own lanes (16 pixels per AVX-512
// vector; on AVX2 + FMA 16 pixels as two 8-pixel vectors; elsewhere the GEMM path runs).
#pragma once
#include <cstddef>
#include <cstring>

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
  // The rows were computed elsewhere (a microkernel's tile, row stride co): by default copied to
  // begin()'s buffer, then end(); a sink with an epilogue can apply it straight from `values`.
  virtual void put(std::ptrdiff_t m0, int rows, const float* values, int co) {
    float* dst = begin(m0, rows);
    std::memcpy(dst, values, sizeof(float) * static_cast<std::size_t>(rows) * co);
    end(m0, rows, dst);
  }
};

// True when direct_conv2d handles this shape on this CPU (stride 1 or 2 in both directions, a
// spatial filter, x86 with AVX-512 or AVX2 + FMA, rows of at least 12 pixels; env
// WORKBENCH_NATIVE_DIRECT=0 turns it off for comparisons, WORKBENCH_NATIVE_DIRECT_STRIDE2=0 the
// stride-2 convs only, WORKBENCH_NATIVE_DIRECT_AVX2=0 the AVX2 kernels only; all read per call).
bool direct_conv_applies(const ConvShape& s);

// True when direct_conv2d applies `ep` itself as it writes each 16-pixel segment (no row sink, no
// row staging buffer; AVX-512, and AVX2 + FMA unless WORKBENCH_NATIVE_DIRECT_AVX2_FUSED=0, or under 4
// images with WORKBENCH_NATIVE_DIRECT_AVX2_FUSED_SMALL=0):
// any epilogue without a scatter, or one whose scatter has its inverse gather set (injective).
// WORKBENCH_NATIVE_DIRECT_FUSED=0 (read per call) sends the rows to the sink instead (either ISA).
bool direct_conv_fuses(const ConvShape& s, const Epilogue* ep);

// The conv; with direct_conv_fuses(ep) the epilogue's result goes straight to y (rows of
// ep->channels, the same bits as the sink path's apply_epilogue), else rows go to the sink.
// `zeros`: at least max(co, ep->channels) zero floats (read for absent operands).
void direct_conv2d(const ConvShape& s, const float* x, const float* w, RowSink& sink, const Epilogue* ep = nullptr, float* y = nullptr,
                   const float* zeros = nullptr);

}  // namespace wb
