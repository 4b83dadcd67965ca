// Kernel conv2dEx: the forward conv with its fused epilogue (bias, constant-input map, scatter
// into wider rows, residual, ReLU), on the direct path where it applies, else im2col + GEMM.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>

#include "../conv.h"
#include "../conv_im2col.h"
#include "../direct_conv.h"
#include "../env_switch.h"
#include "../gemm.h"
#include "../implicit_conv.h"
#include "../napi_args.h"
#include "../thread_pool.h"
#include "../winograd.h"
#include "../winograd_f43_pruned.h"
#include "../winograd_f43_pruned_avx2.h"
#include "../winograd_pruned.h"
#include "../winograd_avx2.h"
#include "../winograd_pruned_avx2.h"
#include "index.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define WB_X86 1
#include <immintrin.h>
#endif

namespace wb {

using Index = std::ptrdiff_t;

namespace {

#ifdef WB_X86

// One gathered epilogue row with AVX-512 (the compiler does not vectorise the conditional gather):
// out[c] = max(lo, res[c] + b[c] + (g[c] < 0 ? 0 : v[g[c]] + map[g[c]])).
__attribute__((target("avx512f"))) void gather_row_avx512(int cw, const int* g, const float* v, const float* map, const float* res,
                                                          const float* b, float lo, float* out) {
  const __m512 low = _mm512_set1_ps(lo);
  for (int c = 0; c < cw; c += 16) {
    const __mmask16 in = static_cast<__mmask16>(cw - c >= 16 ? 0xFFFF : (1u << (cw - c)) - 1);
    const __m512i idx = _mm512_maskz_loadu_epi32(in, g + c);
    const __mmask16 kept = _mm512_mask_cmpge_epi32_mask(in, idx, _mm512_setzero_si512());
    const __m512 conv = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), kept, idx, v, 4);
    const __m512 add = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), kept, idx, map, 4);
    const __m512 t = _mm512_add_ps(_mm512_add_ps(_mm512_maskz_loadu_ps(in, res + c), _mm512_maskz_loadu_ps(in, b + c)), _mm512_add_ps(conv, add));
    _mm512_mask_storeu_ps(out + c, in, _mm512_max_ps(low, t));  // max(low, NaN) is NaN, as TF.js's ReLU
  }
}

bool has_avx512() {
  static const bool yes = std::strcmp(microkernel().name, "avx512f") == 0;
  return yes;
}

// Plain epilogue rows (no map, no scatter, channels a multiple of 16) with AVX-512 whole vectors:
// at 16-64 channels the generic loop's per-row setup (alias checks, peeling) cost more than its
// arithmetic. The generic loop's operations in its order: t = ((v + b) + 0) + r (the absent map's
// zero is added, so a -0 stays +0 as there), out = max(lo, t).
__attribute__((target("avx512f"))) void plain_rows_avx512(int rows, int co, const float* v, const float* b, const float* res, Index res_stride,
                                                          float lo, float* out) {
  const __m512 low = _mm512_set1_ps(lo);
  const __m512 zero = _mm512_setzero_ps();
  for (int r = 0; r < rows; r++, v += co, out += co, res += res_stride)
    for (int j = 0; j < co; j += 16) {
      const __m512 t = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(_mm512_loadu_ps(v + j), _mm512_loadu_ps(b + j)), zero), _mm512_loadu_ps(res + j));
      _mm512_storeu_ps(out + j, _mm512_max_ps(low, t));  // max(low, NaN) is NaN, as TF.js's ReLU
    }
}
#endif

// WORKBENCH_NATIVE_EPILOGUE_VECTOR=0 (read per conv call) keeps plain rows on the generic loop.
std::atomic<bool> g_plain_vector{true};

// Applies `ep` to output rows m0 .. m0+rows: src holds their conv values (row stride co), dst is y
// (row stride ep.channels). Without scatter src and dst may be the same memory. Absent operands
// read `zeros` (at least max(co, channels) floats) so each loop is one branch-free, vectorisable
// expression.
#if defined(__x86_64__) && defined(__linux__) && (defined(__GNUC__) && !defined(__clang__))
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void apply_epilogue(const ConvShape& s, const Epilogue& ep, Index m0, int rows, const float* src, float* y, const float* zeros) {
  const int co = s.co, cw = ep.channels;
  const Index plane = static_cast<Index>(s.oh) * s.ow;
  const float lo = ep.relu ? 0.0f : -std::numeric_limits<float>::infinity();
  const float* b = ep.bias ? ep.bias : zeros;
#ifdef WB_X86
  if (!ep.gather && !ep.scatter && !ep.add_map && cw == co && co % 16 == 0 && has_avx512() && g_plain_vector.load(std::memory_order_relaxed)) {
    const Index stride = ep.residual ? cw : 0;
    plain_rows_avx512(rows, co, src, b, ep.residual ? ep.residual + m0 * cw : zeros, stride, lo, y + m0 * cw);
    return;
  }
#endif
  for (int r = 0; r < rows; r++) {
    const Index m = m0 + r;
    const float* v = src + static_cast<Index>(r) * co;
    const float* map = ep.add_map ? ep.add_map + (m % plane) * co : zeros;
    const float* res = ep.residual ? ep.residual + m * cw : zeros;
    float* out = y + m * cw;
    if (ep.gather) {
      // Gathered rather than scattered: one pass, no narrow read-after-write of `out` (store
      // forwarding stalls in the scattered form cost more than the whole conv on small layers).
      // (t < lo ? lo : t) keeps NaN, as TF.js's ReLU does.
      const int* g = ep.gather;
#ifdef WB_X86
      if (has_avx512()) {
        gather_row_avx512(cw, g, v, map, res, b, lo, out);
        continue;
      }
#endif
      for (int c = 0; c < cw; c++) {
        const int j = g[c] < 0 ? 0 : g[c];
        const float t = res[c] + b[c] + (g[c] < 0 ? 0.0f : v[j] + map[j]);
        out[c] = t < lo ? lo : t;
      }
    } else if (ep.scatter) {
      for (int c = 0; c < cw; c++) out[c] = res[c] + b[c];
      for (int j = 0; j < co; j++) out[ep.scatter[j]] += v[j] + map[j];
      for (int c = 0; c < cw; c++) out[c] = out[c] < lo ? lo : out[c];
    } else {
      for (int j = 0; j < co; j++) {
        const float t = v[j] + b[j] + map[j] + res[j];
        out[j] = t < lo ? lo : t;
      }
    }
  }
}

// The im2col path's K blocking: where the packed filter (K x co) outgrows L2, it was streamed from
// memory once per 14-row tile (ResNet-50's 3x3 512->512: 9 MiB per tile, a third of the microkernel's
// rate). WORKBENCH_NATIVE_BLOCKED=0 (read per call) turns it off for A/B timing; the sums then
// group differently (one K block at a time), so the two differ in the last bits. (implicit_conv.cc's
// wide rule stays at K <= 512 so that no shape chooses between the two by thread count.)
constexpr int kKc = 512;
bool cache_blocked(int k, int co) {
  if (!switch_on("WORKBENCH_NATIVE_BLOCKED")) return false;
  return k > kKc && packed_b_size(k, co) * sizeof(float) > (1u << 20);
}

// WORKBENCH_NATIVE_EPILOGUE_FROM_TILE=0 (read per call): the implicit path copies each tile's rows
// into y (or a staging row) and applies the epilogue there, as before; the same operations on the
// same values either way, so the same bits.
bool epilogue_from_tile() { return switch_on("WORKBENCH_NATIVE_EPILOGUE_FROM_TILE"); }

}  // namespace

void conv2d(const ConvShape& s, const float* x, const float* w, float* y, const Epilogue* given) {
  refresh_gemm_switches();
  g_plain_vector.store(switch_on("WORKBENCH_NATIVE_EPILOGUE_VECTOR"), std::memory_order_relaxed);
  // An epilogue with nothing to do (a plain Conv2D) costs no pass over y.
  const bool idle = given && !given->relu && !given->bias && !given->add_map && !given->residual && !given->scatter;
  const Epilogue* in = idle ? nullptr : given;
  const std::vector<float> zeros(in ? std::max(s.co, in->channels) : 0, 0.0f);
  // An injective scatter (what hard pruning makes) runs as its inverse gather.
  Epilogue with_gather;
  std::vector<int> inverse;
  const Epilogue* ep = in;
  if (in && in->scatter) {
    inverse.assign(in->channels, -1);
    bool injective = true;
    for (int j = 0; j < s.co && injective; j++) {
      injective = inverse[in->scatter[j]] < 0;
      inverse[in->scatter[j]] = j;
    }
    if (injective) {
      with_gather = *in;
      with_gather.gather = inverse.data();
      ep = &with_gather;
    }
  }
  // Rows go to y (or, with a scatter, to a per-thread buffer first) and the epilogue runs on
  // them as soon as they are complete.
  struct Sink : RowSink {
    const ConvShape& s;
    const Epilogue* ep;
    float* y;
    const float* zeros;
    const bool from_tile;
    Sink(const ConvShape& shape, const Epilogue* e, float* out, const float* z, bool tile) : s(shape), ep(e), y(out), zeros(z), from_tile(tile) {}
    float* begin(Index m0, int rows) override {
      if (ep == nullptr || ep->scatter == nullptr) return y + m0 * s.co;
      thread_local std::vector<float> stage;
      return scratch(stage, static_cast<std::size_t>(rows) * s.co);
    }
    void end(Index m0, int rows, float* values) override {
      if (ep) apply_epilogue(s, *ep, m0, rows, values, y, zeros);
    }
    // The implicit conv's finished tile rows: the epilogue reads them where the microkernel left
    // them and writes y once, instead of a copy into y (or a staging row) and a second pass over it.
    void put(Index m0, int rows, const float* values, int co) override {
      if (ep && from_tile) return apply_epilogue(s, *ep, m0, rows, values, y, zeros);
      RowSink::put(m0, rows, values, co);
    }
  } sink(s, ep, y, zeros.data(), epilogue_from_tile());
  // Evaluation's 3x3 stride-1 convs (AVX-512): Winograd F(2x2, 3x3), its output rows through the sink.
  // Pruned widths (not a multiple of 16 filters): the tile-vectorised variant (winograd_pruned.h).
  // Their maps of 5-32 columns: F(4x4, 3x3), the same tile-vectorised scheme (winograd_f43_pruned.h).
  if (given && given->inference && winograd_f43_pruned_applies(s)) {
    winograd_f43_pruned_conv2d(s, x, w, sink, ep, y);
    return;
  }
  if (given && given->inference && winograd_pruned_applies(s)) {
    winograd_pruned_conv2d(s, x, w, sink, ep, y);
    return;
  }
  if (given && given->inference && winograd_f43_pruned_avx2_applies(s)) {  // on AVX2 + FMA (8-lane vectors): F(4x4), then F(2x2)
    winograd_f43_pruned_avx2_conv2d(s, x, w, sink, ep, y);
    return;
  }
  if (given && given->inference && winograd_pruned_avx2_applies(s)) {
    winograd_pruned_avx2_conv2d(s, x, w, sink, ep, y);
    return;
  }
  if (given && given->inference && winograd_applies(s)) {
    winograd_conv2d(s, x, w, sink);
    return;
  }
  if (given && given->inference && winograd_avx2_applies(s)) {
    winograd_avx2_conv2d(s, x, w, sink);
    return;
  }
  const bool direct = direct_conv_applies(s);
  if (direct || implicit_conv_applies(s)) {
    if (direct) {
      // With direct_conv_fuses(s, ep) the epilogue runs on each 16-pixel segment in registers and
      // the sink is not used.
      direct_conv2d(s, x, w, sink, ep, y, zeros.data());
      return;
    }
    std::vector<float> bp(packed_b_size(patch_size(s), s.co));
    pack_b(w, patch_size(s), s.co, s.co, 1, bp.data());
    implicit_conv2d(s, x, bp.data(), sink);
    return;
  }
  const int k = patch_size(s);
  const Index m = out_rows(s);
  // The filter [kh,kw,ci,co] is B [K, co] row-major: packed once per call.
  std::vector<float> bp(packed_b_size(k, s.co));
  pack_b(w, k, s.co, s.co, 1, bp.data());
  const int mr = microkernel().mr;
  const int rows_per_task = mr * std::max(1, 96 / mr);
  const int tasks = static_cast<int>((m + rows_per_task - 1) / rows_per_task);
  const bool pointwise = is_pointwise(s);
  // With a scatter, conv values go to a per-thread buffer first (y's rows are wider); otherwise into y
  // itself, and the epilogue rewrites them in place right after (still in L1/L2).
  const bool staged = ep != nullptr && ep->scatter != nullptr;
  const bool blocked = cache_blocked(k, s.co);
  const Microkernel& mk = microkernel();
  parallel_for(tasks, [&](int t, int) {
    const Index m0 = static_cast<Index>(t) * rows_per_task;
    const int rows = static_cast<int>(std::min<Index>(rows_per_task, m - m0));
    thread_local std::vector<float> stage;
    float* const staging = staged ? scratch(stage, static_cast<std::size_t>(rows_per_task) * s.co) : nullptr;
    // Conv values of rows m0 + r0 .. go to dst(r0) with row stride co.
    auto dst = [&](int r0) { return staged ? staging + static_cast<Index>(r0) * s.co : y + (m0 + r0) * s.co; };
    if (blocked) {
      // The task's A rows (im2col, or x itself when pointwise) at once, then the products in K blocks
      // of kKc: each block of B (kKc x 16 per panel) serves all the task's row tiles while in cache,
      // and the A block all panels. Per output, the K blocks are summed in order into y.
      const float* a = x + m0 * s.ci;
      if (!pointwise) {
        thread_local std::vector<float> task_col;
        float* const cols = scratch(task_col, static_cast<std::size_t>(rows_per_task) * k);
        im2col_rows(s, x, m0, rows, cols);
        a = cols;
      }
      for (int k0 = 0; k0 < k; k0 += kKc) {
        const int kl = std::min(kKc, k - k0);
        for (int j0 = 0; j0 < s.co; j0 += NR)
          for (int r0 = 0; r0 < rows; r0 += mr)
            mk.run(kl, a + static_cast<Index>(r0) * k + k0, k, 1, bp.data() + static_cast<Index>(j0) * k + static_cast<Index>(k0) * NR,
                   dst(r0) + j0, s.co, std::min(mr, rows - r0), std::min(NR, s.co - j0), k0 > 0);
      }
      if (ep) apply_epilogue(s, *ep, m0, rows, dst(0), y, zeros.data());
      return;
    }
    if (pointwise) {
      gemm(rows, s.co, k, x + m0 * s.ci, s.ci, 1, bp.data(), dst(0), s.co, false);
      if (ep) apply_epilogue(s, *ep, m0, rows, dst(0), y, zeros.data());
      return;
    }
    thread_local std::vector<float> col;
    float* const cols = scratch(col, static_cast<std::size_t>(mr) * k);
    for (int r0 = 0; r0 < rows; r0 += mr) {
      const int mrows = std::min(mr, rows - r0);
      im2col_rows(s, x, m0 + r0, mrows, cols);
      gemm(mrows, s.co, k, cols, k, 1, bp.data(), dst(r0), s.co, false);
      if (ep) apply_epilogue(s, *ep, m0 + r0, mrows, dst(r0), y, zeros.data());
    }
  });
}

// conv2dEx(x, xo, w, wo, y, yo, ...shape, relu, bias, bo, addMap, ao, residual, ro, scatter, channels): the conv,
// with the epilogue of conv.h (bias, addMap, residual and scatter may be null; channels = y's row width).
napi_value Conv2dExBinding(napi_env env, napi_callback_info info) {
  return napi::guarded(env, [&] {
    napi::Args a(env, info);
    const ConvShape s = napi::conv_shape(a, 6);
    Epilogue ep;
    ep.relu = a.integer(19) != 0;
    // Optional 29th argument: 1 from evaluation's conv-tail op (Epilogue::inference).
    ep.inference = !a.is_null(28) && a.integer(28) != 0;
    ep.channels = static_cast<int>(a.integer(27));
    const Index pixels = static_cast<Index>(s.n) * s.oh * s.ow;
    if (a.is_null(26)) {
      if (ep.channels != s.co) throw napi::ArgError{"conv2dEx: without a scatter, channels must equal the filter count"};
    } else {
      if (ep.channels < 1) throw napi::ArgError{"conv2dEx: channels must be positive"};
      ep.scatter = a.int_array(26, s.co, "scatter");
      for (int j = 0; j < s.co; j++)
        if (ep.scatter[j] < 0 || ep.scatter[j] >= ep.channels) throw napi::ArgError{"conv2dEx: scatter index out of range"};
    }
    ep.bias = a.optional_tensor(20, ep.channels, "bias");
    ep.add_map = a.optional_tensor(22, static_cast<Index>(s.oh) * s.ow * s.co, "addMap");
    ep.residual = a.optional_tensor(24, pixels * ep.channels, "residual");
    conv2d(s, a.tensor(0, napi::x_size(s), "x"), a.tensor(2, napi::w_size(s), "filter"), a.tensor(4, pixels * ep.channels, "y"), &ep);
  });
}

}  // namespace wb
