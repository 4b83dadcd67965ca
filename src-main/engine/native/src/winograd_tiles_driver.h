// The driver the four tile-vectorised Winograd paths for pruned widths share (winograd_pruned.cc,
// F(2x2, 3x3) on AVX-512; winograd_pruned_avx2.cc, the same on AVX2; winograd_f43_pruned.cc, F(4x4, 3x3)
// on AVX-512; winograd_f43_pruned_avx2.cc, the same on AVX2): the task split, the planar input rows held per task, the products
// M[p]^T [co, tiles] = U[p]^T [co, ci] x V[p]^T [ci, tiles] in filter blocks and panels, and the output
// rows through the fused epilogue or the sink. A variant passes its transforms, microkernels and
// geometry as a struct of static members (below); the driver fixes the order of every sum, so a
// variant's bits depend on its transforms and the shape only (not on threads or runs).
#pragma once

#include <algorithm>
#include <cstring>
#include <vector>

#include "conv.h"
#include "direct_conv.h"
#include "thread_pool.h"

namespace wb {

// One call's layout, from the variant's geometry(s).
struct TileGeometry {
  int tiles_x, tiles_y;  // output tiles per row and per column of one image
  int group;             // tile rows sharing one vector of lanes (1, 2, 4 or 8)
  int group_cols;        // columns of V and M per group
  int wp, owp;           // planar input and output row lengths (floats per channel)
  int task_tiles;        // about this many tiles per task (V and M stay in L2)
  int slots = 0;         // planar input rows held per task, at most V::kSlots (0: V::kSlots)
};

// A variant V provides:
//   kOut (2 or 4: outputs per tile side), kLanes (floats per vector), kMaxGroup, kPanel (tiles per
//   microkernel call), kSlots (the most planar input rows held per task: at least the rows one group
//   reads, kOut * group + 2);
//   geometry(s), block_rows(co), filter(s, w, c, rows, ut) (U^T of input channel c in filter blocks),
//   planar(s, x, n, iy, wp, p) (an input row channel-planar, in the variant's column order), inputs(s, rows[kMaxGroup][kOut + 2], group,
//   wp, tiles_x, v, ps, vs, col0) (V^T of one group), kernel(rows) (the microkernel for a filter block),
//   outputs(s, m, ps, ms, col0, group, tiles_x, owp, out, slot) (Y of one group, channel-planar rows),
//   fused(s, ep, plane, owp, map_t, m0, y) (one output row's epilogue into y) and
//   transpose(src, ss, rows, cols, dst, ds) (kLanes x kLanes blocks).
template <class V>
void winograd_tiles_run(const ConvShape& s, const float* x, const float* w, RowSink& sink, const Epilogue* ep, float* y, bool fused) {
  using Index = std::ptrdiff_t;
  constexpr int kIn = V::kOut + 2;           // input tile side
  constexpr int kPositions = kIn * kIn;      // a transformed tile
  constexpr int L = V::kLanes;
  const int ci = s.ci, co = s.co;
  const TileGeometry geo = V::geometry(s);
  const int tiles_x = geo.tiles_x, tiles_y = geo.tiles_y, group = geo.group, group_cols = geo.group_cols, wp = geo.wp, owp = geo.owp;
  const int tile_rows = s.n * tiles_y;  // over the whole batch
  // A task takes whole tile rows, about task_tiles tiles, fewer where a thread would idle, but at least
  // one panel's worth (else the small batches computed dropped lanes).
  const int min_rows = group_cols >= V::kPanel ? 1 : group * V::kPanel / group_cols;
  int per_task = std::max(1, geo.task_tiles / tiles_x);
  per_task = std::min(per_task, std::max(1, tile_rows / (4 * threads())));
  per_task = (std::max(per_task, min_rows) + min_rows - 1) / min_rows * min_rows;
  const int tasks = (tile_rows + per_task - 1) / per_task;
  const int rows = V::block_rows(co);
  const int slots = geo.slots > 0 ? std::min(geo.slots, V::kSlots) : V::kSlots;
  std::vector<float> ut(static_cast<std::size_t>(kPositions) * ci * co);
  parallel_for(ci, [&](int c, int) { V::filter(s, w, c, rows, ut.data()); });
  const std::vector<float> zeros(static_cast<std::size_t>(ci) * wp, 0.0f);  // a planar row outside the image
  // The constant-input map [oh, ow, co] planar per output row, [oh][co][owp], for the fused epilogue.
  std::vector<float> map_t;
  if (fused && ep->add_map != nullptr && ep->gather != nullptr) {
    map_t.assign(static_cast<std::size_t>(s.oh) * co * owp, 0.0f);
    for (int oy = 0; oy < s.oh; oy++)
      for (int ox0 = 0; ox0 < s.ow; ox0 += L)
        for (int o0 = 0; o0 < co; o0 += L)
          V::transpose(ep->add_map + (static_cast<Index>(oy) * s.ow + ox0) * co + o0, co, std::min(L, s.ow - ox0), std::min(L, co - o0),
                       map_t.data() + (static_cast<Index>(oy) * co + o0) * owp + ox0, owp);
  }
  parallel_for(tasks, [&](int t, int) {
    const int g0 = t * per_task, g1 = std::min(tile_rows, g0 + per_task);
    const int groups = (g1 - g0 + group - 1) / group;
    const int tiles = groups * group_cols;
    const int panel_cols = (tiles + V::kPanel - 1) / V::kPanel * V::kPanel;
    const Index vps = static_cast<Index>(ci) * panel_cols, mps = static_cast<Index>(co) * panel_cols;
    const Index out_slot = V::kOut * static_cast<Index>(co) * owp;
    thread_local std::vector<float> v_buffer, m_buffer, planar_buffer, out_buffer, row_buffer;
    float* const v = scratch(v_buffer, static_cast<std::size_t>(kPositions) * vps);
    float* const m = scratch(m_buffer, static_cast<std::size_t>(kPositions) * mps);
    float* const planar = scratch(planar_buffer, static_cast<std::size_t>(slots) * ci * wp);
    float* const out = scratch(out_buffer, static_cast<std::size_t>(group) * out_slot);
    float* const row = scratch(row_buffer, static_cast<std::size_t>(s.ow) * co);
    // The last panel's columns past the groups are computed and dropped: keep them finite zeros.
    if (panel_cols > tiles)
      for (Index q = 0; q < kPositions * static_cast<Index>(ci); q++)
        std::memset(v + q * panel_cols + tiles, 0, sizeof(float) * static_cast<std::size_t>(panel_cols - tiles));
    // Input rows held planar in `slots` slots by their row number over the batch: each row copied once
    // for the tile rows that read it (a group's rows are consecutive numbers, fewer than `slots`).
    long held[V::kSlots];
    std::fill(held, held + slots, -1L);
    const float* rp[V::kMaxGroup][kIn];  // rows of lanes past the group's tile rows: zeros
    for (int q = group; q < V::kMaxGroup; q++) std::fill(rp[q], rp[q] + kIn, zeros.data());
    for (int gr = 0; gr < groups; gr++) {
      for (int q = 0; q < group; q++) {
        const int g = g0 + gr * group + q;
        const int n = g / tiles_y, ty = g % tiles_y;
        for (int i = 0; i < kIn; i++) {
          const int iy = V::kOut * ty - s.pt + i;
          if (g >= g1 || iy < 0 || iy >= s.h) {
            rp[q][i] = zeros.data();
            continue;
          }
          const long key = static_cast<long>(n) * s.h + iy;
          float* slot = planar + static_cast<Index>(key % slots) * ci * wp;
          if (held[key % slots] != key) {
            V::planar(s, x, n, iy, wp, slot);
            held[key % slots] = key;
          }
          rp[q][i] = slot;
        }
      }
      V::inputs(s, rp, group, wp, tiles_x, v, vps, panel_cols, gr * group_cols);
    }
    // M[p]^T [co, tiles] = U[p]^T [co, ci] x V[p]^T [ci, tiles], filter blocks of `rows`, panels of kPanel tiles.
    for (int p = 0; p < kPositions; p++)
      for (int o0 = 0; o0 < co; o0 += rows) {
        const int rb = std::min(rows, co - o0);
        const auto kernel = V::kernel(rb);
        const float* u = ut.data() + static_cast<Index>(p) * ci * co + static_cast<Index>(o0) * ci;
        for (int c0 = 0; c0 < tiles; c0 += V::kPanel)
          kernel(ci, u, v + p * vps + c0, panel_cols, m + p * mps + static_cast<Index>(o0) * panel_cols + c0, panel_cols);
      }
    for (int gr = 0; gr < groups; gr++) {
      V::outputs(s, m, mps, panel_cols, gr * group_cols, group, tiles_x, owp, out, out_slot);
      for (int q = 0; q < group && g0 + gr * group + q < g1; q++) {
        const int g = g0 + gr * group + q;
        const int n = g / tiles_y, ty = g % tiles_y;
        for (int dy = 0; dy < V::kOut && V::kOut * ty + dy < s.oh; dy++) {
          float* plane = out + q * out_slot + static_cast<Index>(dy) * co * owp;
          const Index m0 = (static_cast<Index>(n) * s.oh + V::kOut * ty + dy) * s.ow;
          if (fused) {
            V::fused(s, *ep, plane, owp, map_t.empty() ? nullptr : map_t.data() + static_cast<Index>(V::kOut * ty + dy) * co * owp, m0, y);
            continue;
          }
          for (int ox0 = 0; ox0 < s.ow; ox0 += L)
            for (int o0 = 0; o0 < co; o0 += L)
              V::transpose(plane + static_cast<Index>(o0) * owp + ox0, owp, std::min(L, co - o0), std::min(L, s.ow - ox0), row + static_cast<Index>(ox0) * co + o0, co);
          sink.put(m0, s.ow, row, co);
        }
      }
    }
  });
}

}  // namespace wb
