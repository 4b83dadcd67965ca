// Inference 3x3 stride-1 convolution by Winograd's minimal filtering F(2x2, 3x3).
//
// Each 2x2 block of outputs ("tile") comes from a 4x4 block of the padded input d:
//   Y = A^T [ (G g G^T) . (B^T d B) ] A
// with the filter transformed once per call (U = G g G^T, computed in double and rounded once) and
// the products . summed over input channels as 16 GEMMs (one per position of the 4x4 transformed
// tile) on the GEMM microkernel: 16 multiplies per tile and channel pair instead of 36. The
// additions of the transforms round differently from the direct sum, so results are not the
// GEMM path's bits (tests bound the difference from the float64 sums); they do not depend on the
// thread count (each output's operations are fixed by the shape alone) nor on the run.
#pragma once

#include "conv.h"
#include "direct_conv.h"

namespace wb {

// True when winograd_conv2d takes this shape: a 3x3 stride-1 conv on an AVX-512 CPU with 12 to 64
// input channels and at most 64 filters, maps of 4x4 or more and a batch of at least
// winograd_min_batch(co) images. Env WORKBENCH_NATIVE_WINOGRAD=0 (read per call) turns it off for A/B
// timing. Callers use it for inference only (conv2d's Epilogue::inference), so training keeps its bits.
// Why batch thresholds: below a few images the transforms cost more than the multiplies they save,
// and the GEMMs here are vectorised over 16 output channels, so a pruned layer's 11, 22 or 45 filters
// cost what 16, 32 or 64 do, while the direct conv (pixel-vectorised) gains the full pruning; pruned
// widths therefore take Winograd only from the batch where it still wins for them. Each threshold is
// where it measured faster (winograd.cc), not where a ratio looks best: at batch 32 the unpruned
// parents run 1.27x faster with it, and a compact model's lead over its parent shrinks accordingly.
// The shapes every Winograd path is written and measured for: 3x3 stride-1 convs of the CIFAR ResNet
// widths (at most 64 filters and input channels, at least min_ci input channels) on maps of 4x4 or more.
inline bool winograd_shape(const ConvShape& s, int min_ci) {
  return s.kh == 3 && s.kw == 3 && s.sh == 1 && s.sw == 1 && s.ci >= min_ci && s.ci <= 64 && s.co <= 64 && s.oh >= 4 && s.ow >= 4;
}

int winograd_min_batch(int co);  // filters a multiple of 16: env WORKBENCH_NATIVE_WINOGRAD_MIN_BATCH (default 8);
                                 // other widths: WORKBENCH_NATIVE_WINOGRAD_MIN_BATCH_PRUNED (default 64); read per call
bool winograd_applies(const ConvShape& s);

// U = G g G^T for filter o and input channel c of the TF.js filter w [3, 3, ci, co], in double and
// rounded once (the filter's share of the rounding is one half-ulp): u[p] for position p = i * 4 + j,
//   G = [[1, 0, 0], [1/2, 1/2, 1/2], [1/2, -1/2, 1/2], [0, 0, 1]]. Both Winograd paths take it from here,
// which is what makes their bits equal where both apply.
void winograd_filter_tile(const float* w, int ci, int co, int c, int o, float u[16]);

// y rows through `sink` (whole output rows, row stride co); w is the TF.js filter [3, 3, ci, co].
void winograd_conv2d(const ConvShape& s, const float* x, const float* w, RowSink& sink);

}  // namespace wb
