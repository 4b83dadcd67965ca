// Stride-1 convolution as a GEMM without the im2col copy ("implicit GEMM").
//
// x is copied once into a zero-padded image [n, oh + kh - 1, ow + kw - 1, ci]. In that layout the
// kw taps of one filter row are kw * ci contiguous floats for every output pixel, and output
// pixel (oy, ox) starts at padded pixel q = oy * wp + ox: the microkernel reads its A rows straight
// from the padded image (kh segments per row) instead of from an im2col buffer that repeats
// every input value kh * kw times. Pixels with ox >= ow (q runs over whole padded rows) are
// computed and dropped: (kw - 1) / wp of the work. Sums run in the im2col path's k order, so
// results are bit-identical to it.
#pragma once
#include <cstddef>

#include "conv.h"
#include "direct_conv.h"

namespace wb {

// True when implicit_conv2d takes this shape (stride 1, a spatial filter, rows of 12+ pixels, at
// most 16 filters or at most 4 input channels: where the dropped pixels cost less than the im2col
// copy; env WORKBENCH_NATIVE_IMPLICIT=0, read per
// call, turns it off for A/B timing).
// With for_filter false (a conv or backprop-input) also 32 filters on rows of 16+ pixels when each
// image is padded in cache (per_image_padding; env WORKBENCH_NATIVE_IMPLICIT_WIDE=0 turns that off).
bool implicit_conv_applies(const ConvShape& s, bool for_filter = false);

// y rows through `sink` (consecutive output rows m0 .. m0+rows, row stride co); bp is the filter
// packed by pack_b as B [kh*kw*ci, co].
void implicit_conv2d(const ConvShape& s, const float* x, const float* bp, RowSink& sink);

// x zero-padded into xp [n, hp, wp, ci] (hp = oh + kh - 1, wp = ow + kw - 1 for stride 1), plus
// `slack` zero floats after the last image; multi-threaded over images. Returns xp.
float* pad_images(const ConvShape& s, const float* x, std::size_t slack);

// Floats of one padded image [hp, wp, ci].
inline std::ptrdiff_t padded_image_size(const ConvShape& s) {
  return static_cast<std::ptrdiff_t>(s.oh + s.kh - 1) * (s.ow + s.kw - 1) * s.ci;
}
// Image n of x zero-padded into out [hp, wp, ci] (single-threaded).
void pad_image(const ConvShape& s, const float* x, int n, float* out);
// Whether implicit_conv2d and the implicit backprop-filter pad each image inside the task that uses
// it (in cache) rather than the whole batch up front.
bool per_image_padding(const ConvShape& s);
// Whether those tasks request the next image from memory while they work on theirs (a software
// prefetch, no effect on results; env WORKBENCH_NATIVE_PREFETCH=0, read per call, turns it off).
bool prefetch_next_image();

}  // namespace wb
