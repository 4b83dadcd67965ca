// Winograd F(4x4, 3x3) for pruned widths on AVX2 + FMA: winograd_f43_pruned.cc's design on 8-lane
// vectors. 8 lanes hold one tile row of up to 8 tiles (32x32 maps), two of up to 4 (16x16) or four of
// 2 (8x8); the input rows are held channel-planar with each channel's columns regrouped so that one
// load (or a 4x4 transpose of column pairs) gives a group's column j of every tile. The microkernel,
// the planar rows and the fused epilogue are winograd_pruned_avx2.cc's (winograd_avx2_tile_parts.h).
// U (winograd_f43_filter.h), V, the sums over ci and the output transform are winograd_f43_pruned.cc's
// operations in its order: the bits equal the AVX-512 F(4x4) path's wherever both take a shape, and
// depend on the shape only (not on threads or runs).
#pragma once

#include "conv.h"
#include "direct_conv.h"

namespace wb {

// Batch from which winograd_f43_pruned_avx2_conv2d is taken (env WORKBENCH_NATIVE_WINOGRAD_F43_AVX2_MIN_BATCH,
// for output rows of 2 tiles WORKBENCH_NATIVE_WINOGRAD_F43_AVX2_MIN_BATCH_NARROW; read per call, each
// default where it measured faster than the AVX2 F(2x2) path, winograd_f43_pruned_avx2.cc).
int winograd_f43_pruned_avx2_min_batch(const ConvShape& s);
// True where winograd_pruned_avx2_applies(s) (an AVX2, not AVX-512, CPU) and the output rows hold 2 to 8
// tiles of 4 (output widths 5-32), from winograd_f43_pruned_avx2_min_batch on. Env
// WORKBENCH_NATIVE_WINOGRAD_F43_AVX2=0 or WORKBENCH_NATIVE_WINOGRAD_F43=0 (read per call) turns it off:
// those convs take the AVX2 F(2x2) path bit for bit. Inference only (callers check Epilogue::inference).
bool winograd_f43_pruned_avx2_applies(const ConvShape& s);

// y = conv(x, w), w the TF.js filter [3, 3, ci, co]; the epilogue as winograd_pruned_avx2_conv2d applies
// it (fused into y with winograd_pruned_fuses(ep) and y given, else whole output rows through `sink`).
void winograd_f43_pruned_avx2_conv2d(const ConvShape& s, const float* x, const float* w, RowSink& sink, const Epilogue* ep = nullptr, float* y = nullptr);

}  // namespace wb
