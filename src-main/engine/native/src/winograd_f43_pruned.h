// Winograd F(4x4, 3x3) for pruned widths: 6x6 input tiles, 36 products per 16 outputs (F(2x2, 3x3):
// 64), vectorised over 16 tiles (tile rows of 8, 4 or 2 tiles, 2, 4 or 8 rows per vector) like
// winograd_pruned.cc (same microkernel over filter rows, same fused epilogue; channel-planar input rows with
// each channel's columns regrouped so that a vector's tile columns are contiguous). Standard Lavin & Gray matrices (points 0, +-1, +-2, inf):
//   B^T = [[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0], [0, -2, -1, 2, 1, 0],
//          [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]],
//   G = [[1/4, 0, 0], [-1/6, -1/6, -1/6], [-1/6, 1/6, -1/6], [1/24, 1/12, 1/6], [1/24, -1/12, 1/6], [0, 0, 1]],
//   A^T = [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]].
// U = G g G^T in double, rounded once. The transforms' coefficients are larger than F(2x2)'s, so the
// error from the float64 sum is larger (tests bound it from the transformed magnitudes); each output's
// operations depend on the shape only: the same bits on any thread count and run to run.
#pragma once

#include "conv.h"
#include "direct_conv.h"

namespace wb {

// Batch from which winograd_f43_pruned_conv2d is taken (env WORKBENCH_NATIVE_WINOGRAD_F43_MIN_BATCH, default
// 2; for output rows of 2 tiles WORKBENCH_NATIVE_WINOGRAD_F43_MIN_BATCH_NARROW, default 7; read per call,
// each default where it measured faster, winograd_f43_pruned.cc).
int winograd_f43_pruned_min_batch(const ConvShape& s);
// True where winograd_pruned_applies(s) and the output rows hold 2 to 8 tiles of 4 (output widths 5-32:
// the CIFAR ResNets' 32x32, 16x16 and 8x8 stages) from winograd_f43_pruned_min_batch on. Env
// WORKBENCH_NATIVE_WINOGRAD_F43=0 (read per call) turns it off: those convs take today's paths bit
// for bit. Inference only (callers check Epilogue::inference).
bool winograd_f43_pruned_applies(const ConvShape& s);

// y = conv(x, w), w the TF.js filter [3, 3, ci, co]; the epilogue as winograd_pruned_conv2d applies it
// (fused into y with winograd_pruned_fuses(ep) and y given, else whole output rows through `sink`).
void winograd_f43_pruned_conv2d(const ConvShape& s, const float* x, const float* w, RowSink& sink, const Epilogue* ep = nullptr, float* y = nullptr);

}  // namespace wb
