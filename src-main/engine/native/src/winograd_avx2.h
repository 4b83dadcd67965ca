// Winograd F(2x2, 3x3) vectorised over output channels (winograd.cc's design) on AVX2 + FMA, for the
// unpruned widths (filter counts a multiple of 16): the same transforms with 8-lane vectors, the 16
// GEMMs per task on the AVX2 6x16 microkernel (gemm.cc). U from winograd_filter_tile, V and the output
// transform are winograd.cc's operations in its order and the GEMMs sum over ci in order with one FMA
// per term from zero on both ISAs: the bits equal winograd.cc's on an AVX-512 CPU (tests check it),
// independent of threads and runs.
#pragma once

#include "conv.h"
#include "direct_conv.h"

namespace wb {

// Batch from which winograd_avx2_conv2d is taken (env WORKBENCH_NATIVE_WINOGRAD_AVX2_CHANNELS_MIN_BATCH,
// read per call; the defaults, 2 images up to 32 filters and 6 for 64, are where it measured faster,
// winograd_avx2.cc).
int winograd_avx2_min_batch(const ConvShape& s);
// True for a 3x3 stride-1 conv on an AVX2 (not AVX-512) CPU with a filter count a multiple of 16 (at
// most 64), 12 to 64 input channels, maps of 4x4 or more and a batch of at least winograd_avx2_min_batch.
// Env WORKBENCH_NATIVE_WINOGRAD_AVX2_CHANNELS=0 (read per call; also WORKBENCH_NATIVE_WINOGRAD_AVX2=0 or
// WORKBENCH_NATIVE_WINOGRAD=0) turns it off: those convs take today's AVX2 paths bit for bit. Inference
// only (callers check Epilogue::inference).
bool winograd_avx2_applies(const ConvShape& s);

// y rows through `sink` (whole output rows, row stride co); w is the TF.js filter [3, 3, ci, co].
void winograd_avx2_conv2d(const ConvShape& s, const float* x, const float* w, RowSink& sink);

}  // namespace wb
