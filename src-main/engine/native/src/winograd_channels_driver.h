// The driver both channel-vectorised Winograd F(2x2, 3x3) paths share (winograd.cc on AVX-512,
// winograd_avx2.cc on AVX2 + FMA): the task split, the filter packing and the 16 GEMMs are the same
// on both ISAs; only the three transforms are compiled per ISA and passed in. Keeping one driver is
// what keeps the two paths' bits equal (same split, same GEMM calls, same sums).
#pragma once

#include <algorithm>
#include <vector>

#include "conv.h"
#include "gemm.h"
#include "thread_pool.h"

namespace wb {

// filter(c, u): U[p][c][o] for input channel c into u [16, ci, co];
// input_row(n, ty, tiles_x, v, vs, zeros): V of image n's tile row ty into v (position stride vs);
// output_row(m, ms, tiles_x, out): Y = A^T M A of one tile row into two output rows out [2, ow, co].
template <class Filter, class InputRow, class OutputRow>
void winograd_channels_run(const ConvShape& s, RowSink& sink, Filter filter, InputRow input_row, OutputRow output_row) {
  using Index = std::ptrdiff_t;
  constexpr int kPositions = 16;  // a transformed tile is 4x4
  const int ci = s.ci, co = s.co;
  const int tiles_x = (s.ow + 1) / 2, tiles_y = (s.oh + 1) / 2;
  const int tile_rows = s.n * tiles_y;  // over the whole batch
  // A task takes whole tile rows, about 96 tiles (a multiple of nothing in particular: the GEMMs
  // run 14-row tiles), so its transformed input and products (16 x 96 x ci and x co floats) stay in
  // L2; fewer where that would leave a thread idle (batch 1). Outputs do not depend on the split.
  int per_task = std::max(1, 96 / tiles_x);
  per_task = std::min(per_task, std::max(1, tile_rows / (4 * threads())));
  const int tasks = (tile_rows + per_task - 1) / per_task;
  // The filter, transformed and packed per position: 16 B panels of [ci, co].
  const Index ub = static_cast<Index>(packed_b_size(ci, co));
  std::vector<float> u(static_cast<std::size_t>(kPositions) * ci * co);
  std::vector<float> bp(static_cast<std::size_t>(kPositions) * ub);
  parallel_for(ci, [&](int c, int) { filter(c, u.data()); });
  parallel_for(kPositions, [&](int p, int) { pack_b(u.data() + static_cast<Index>(p) * ci * co, ci, co, co, 1, bp.data() + p * ub); });
  const std::vector<float> zeros(static_cast<std::size_t>(s.w) * ci + 16, 0.0f);  // a zero input row
  const Microkernel& mk = microkernel();
  parallel_for(tasks, [&](int t, int) {
    const int g0 = t * per_task, g1 = std::min(tile_rows, g0 + per_task);
    const int tiles = (g1 - g0) * tiles_x;
    const Index vs = static_cast<Index>(tiles) * ci, ms = static_cast<Index>(tiles) * co;
    thread_local std::vector<float> v_buffer, m_buffer, out_buffer;
    float* const v = scratch(v_buffer, static_cast<std::size_t>(kPositions) * vs);
    float* const m = scratch(m_buffer, static_cast<std::size_t>(kPositions) * ms);
    float* const out = scratch(out_buffer, 2 * static_cast<std::size_t>(s.ow) * co);
    for (int g = g0; g < g1; g++) input_row(g / tiles_y, g % tiles_y, tiles_x, v + static_cast<Index>(g - g0) * tiles_x * ci, vs, zeros.data());
    // M[p] = V[p] [tiles, ci] x U[p] [ci, co], one GEMM per position.
    for (int p = 0; p < kPositions; p++)
      for (int j0 = 0; j0 < co; j0 += NR)
        for (int r0 = 0; r0 < tiles; r0 += mk.mr)
          mk.run(ci, v + p * vs + static_cast<Index>(r0) * ci, ci, 1, bp.data() + p * ub + static_cast<Index>(j0) * ci,
                 m + p * ms + static_cast<Index>(r0) * co + j0, co, std::min(mk.mr, tiles - r0), std::min(NR, co - j0), false);
    for (int g = g0; g < g1; g++) {
      const int n = g / tiles_y, ty = g % tiles_y;
      output_row(m + static_cast<Index>(g - g0) * tiles_x * co, ms, tiles_x, out);
      for (int dy = 0; dy < 2 && 2 * ty + dy < s.oh; dy++)
        sink.put((static_cast<Index>(n) * s.oh + 2 * ty + dy) * s.ow, s.ow, out + static_cast<Index>(dy) * s.ow * co, co);
    }
  });
}

}  // namespace wb
