// Winograd F(2x2, 3x3) for pruned widths on AVX2 + FMA: winograd_pruned.cc's design on 8-lane vectors.
//
// The products run transposed, M[p]^T [co, tiles] = U[p]^T [co, ci] x V[p]^T [ci, tiles], on a
// microkernel compiled for each filter-row count R (1..6) over two 8-tile vectors (2R of the 16 ymm
// registers), filters in equal blocks; V from channel-planar input rows (8 x 8 register transposes),
// the output transform and the fused epilogue as winograd_pruned.cc's. U from winograd_filter_tile,
// V, the sums over ci and the output transform are winograd_pruned.cc's operations in its order: the
// bits equal the AVX-512 pruned path's wherever both take a shape (and depend on the shape only, not
// on threads or runs); they are not the direct conv's or GEMM path's (tests bound the difference).
#pragma once

#include "conv.h"
#include "direct_conv.h"

namespace wb {

// Batch from which winograd_pruned_avx2_conv2d is taken (env WORKBENCH_NATIVE_WINOGRAD_AVX2_MIN_BATCH,
// read per call; the defaults, 3 images up to 32 filters and 6 above, are where it measured faster,
// winograd_pruned_avx2.cc).
int winograd_pruned_avx2_min_batch(const ConvShape& s);
// True for a 3x3 stride-1 conv on an AVX2 (not AVX-512) CPU whose filter count is not a multiple of
// 16 (at most 64), with 4 to 64 input channels, maps of 4x4 or more and a batch of at least
// winograd_pruned_avx2_min_batch. Env WORKBENCH_NATIVE_WINOGRAD_AVX2=0 (read per call; also
// WORKBENCH_NATIVE_WINOGRAD=0 or WORKBENCH_NATIVE_WINOGRAD_PRUNED=0) turns it off: those convs take
// today's AVX2 paths bit for bit. Inference only (callers check Epilogue::inference).
bool winograd_pruned_avx2_applies(const ConvShape& s);

// y = conv(x, w), w the TF.js filter [3, 3, ci, co]. With winograd_pruned_fuses(ep) and y given, each
// output row's epilogue is applied from the planar values in 8 x 8 transposes straight into y
// (apply_epilogue's gathered form, same operations in the same order); else whole output rows go
// through `sink` (row stride co).
void winograd_pruned_avx2_conv2d(const ConvShape& s, const float* x, const float* w, RowSink& sink, const Epilogue* ep = nullptr, float* y = nullptr);

}  // namespace wb
