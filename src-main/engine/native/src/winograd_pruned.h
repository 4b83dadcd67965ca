// Winograd F(2x2, 3x3) for pruned widths: vectorised over 16 tiles instead of 16 filters.
//
// winograd.cc keeps 16 output channels per vector, so a hard-pruned layer's 12, 23 or 45 filters cost
// what 16, 32 or 64 do there. Here the products run transposed, M[p]^T [co, tiles] = U[p]^T [co, ci] x
// V[p]^T [ci, tiles], on a microkernel compiled for each filter-row count R (1..14) over two 16-tile
// vectors: a filter block costs exactly its rows, and a short k (ci = 12, 23) still amortises the
// 2R stores over 2R FMAs per k step. V comes from a channel-planar copy of each input row (each
// image row copied once per two tile rows), computed with winograd.cc's operations in its order
// (same V, same U), summed over ci in the same order and transformed back the same way: the bits
// depend on the shape only (not on threads or runs) and equal winograd.cc's wherever both take a
// shape; they are not the GEMM path's (tests bound the difference from a float64 reference).
#pragma once

#include "conv.h"
#include "direct_conv.h"

namespace wb {

// Batch from which winograd_pruned_conv2d is taken (env WORKBENCH_NATIVE_WINOGRAD_PRUNED_MIN_BATCH, read
// per call; the default is where it measured faster, winograd_pruned.cc).
int winograd_pruned_min_batch(const ConvShape& s);
// True for a 3x3 stride-1 conv on an AVX-512 CPU whose filter count is not a multiple of 16 (at most
// 64), with 4 to 64 input channels, maps of 4x4 or more and a batch of at least winograd_pruned_min_batch.
// Env WORKBENCH_NATIVE_WINOGRAD_PRUNED=0 (read per call) turns it off: those convs take today's paths
// (direct conv, or winograd.cc from its pruned threshold) bit for bit. Inference only (callers check
// Epilogue::inference), like winograd.cc.
bool winograd_pruned_applies(const ConvShape& s);

// True when winograd_pruned_conv2d applies `ep` itself: any epilogue without a scatter, or one whose
// scatter has its inverse gather set (injective).
bool winograd_pruned_fuses(const Epilogue* ep);

// y = conv(x, w), w the TF.js filter [3, 3, ci, co]. With winograd_pruned_fuses(ep) and y given, each
// output row's epilogue is applied from the planar values in 16 x 16 transposes straight into y
// (apply_epilogue's gathered form, same operations in the same order); else whole output rows go
// through `sink` (row stride co).
void winograd_pruned_conv2d(const ConvShape& s, const float* x, const float* w, RowSink& sink, const Epilogue* ep = nullptr, float* y = nullptr);

}  // namespace wb
