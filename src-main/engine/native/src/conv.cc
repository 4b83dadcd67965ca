#include "conv.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "direct_conv.h"
#include "gemm.h"
#include "thread_pool.h"

namespace wb {
namespace {

using Index = std::ptrdiff_t;

// Short copies (a few channels): an inlined loop beats a libc memcpy call here.
inline void copy_floats(float* dst, const float* src, int count) {
  for (int c = 0; c < count; c++) dst[c] = src[c];
}

int patch_size(const ConvShape& s) { return s.kh * s.kw * s.ci; }
Index out_rows(const ConvShape& s) { return static_cast<Index>(s.n) * s.oh * s.ow; }

// 1x1, stride 1, no padding: im2col(x) is x itself.
bool is_pointwise(const ConvShape& s) {
  return s.kh == 1 && s.kw == 1 && s.sh == 1 && s.sw == 1 && s.pt == 0 && s.pl == 0 && s.oh == s.h && s.ow == s.w;
}

// col[r, (i*kw + j)*ci + c] = x_pad[n, oh*sh + i, ow*sw + j, c] for output rows m0 .. m0+rows.
void im2col_rows(const ConvShape& s, const float* x, Index m0, int rows, float* col) {
  const int k = patch_size(s);
  const Index plane = static_cast<Index>(s.oh) * s.ow;
  for (int r = 0; r < rows; r++) {
    const Index m = m0 + r;
    const Index n = m / plane;
    const int rem = static_cast<int>(m - n * plane);
    const int oy = rem / s.ow, ox = rem % s.ow;
    float* dst = col + static_cast<Index>(r) * k;
    const int ix0 = ox * s.sw - s.pl;
    const bool inside_x = ix0 >= 0 && ix0 + s.kw <= s.w;
    for (int i = 0; i < s.kh; i++) {
      const int iy = oy * s.sh - s.pt + i;
      if (inside_x && iy >= 0 && iy < s.h) {
        // The kw taps of one filter row are adjacent pixels: one contiguous copy of kw*ci floats.
        copy_floats(dst, x + ((n * s.h + iy) * s.w + ix0) * s.ci, s.kw * s.ci);
        dst += s.kw * s.ci;
        continue;
      }
      for (int j = 0; j < s.kw; j++, dst += s.ci) {
        const int ix = ox * s.sw - s.pl + j;
        if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) {
          std::memset(dst, 0, sizeof(float) * s.ci);
        } else {
          copy_floats(dst, x + ((n * s.h + iy) * s.w + ix) * s.ci, s.ci);
        }
      }
    }
  }
}

// dx_pad[n, oh*sh + i, ow*sw + j, c] += col[r, (i*kw + j)*ci + c], the inverse scatter of im2col_rows.
void col2im_add_rows(const ConvShape& s, const float* col, Index m0, int rows, float* dx) {
  const int k = patch_size(s);
  const Index plane = static_cast<Index>(s.oh) * s.ow;
  for (int r = 0; r < rows; r++) {
    const Index m = m0 + r;
    const Index n = m / plane;
    const int rem = static_cast<int>(m - n * plane);
    const int oy = rem / s.ow, ox = rem % s.ow;
    const float* src = col + static_cast<Index>(r) * k;
    const int ix0 = ox * s.sw - s.pl;
    const bool inside_x = ix0 >= 0 && ix0 + s.kw <= s.w;
    for (int i = 0; i < s.kh; i++) {
      const int iy = oy * s.sh - s.pt + i;
      if (inside_x && iy >= 0 && iy < s.h) {
        float* dst = dx + ((n * s.h + iy) * s.w + ix0) * s.ci;
        const int len = s.kw * s.ci;
        for (int c = 0; c < len; c++) dst[c] += src[c];
        src += len;
        continue;
      }
      for (int j = 0; j < s.kw; j++, src += s.ci) {
        const int ix = ox * s.sw - s.pl + j;
        if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) continue;
        float* dst = dx + ((n * s.h + iy) * s.w + ix) * s.ci;
        for (int c = 0; c < s.ci; c++) dst[c] += src[c];
      }
    }
  }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define WB_X86 1
#include <immintrin.h>

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
#endif

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

}  // namespace

void conv2d(const ConvShape& s, const float* x, const float* w, float* y, const Epilogue* given) {
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
  if (direct_conv_applies(s)) {
    // Rows go to y (or, with a scatter, to a per-thread buffer first) and the epilogue runs on
    // them as soon as they are complete.
    struct Sink : RowSink {
      const ConvShape& s;
      const Epilogue* ep;
      float* y;
      const float* zeros;
      Sink(const ConvShape& shape, const Epilogue* e, float* out, const float* z) : s(shape), ep(e), y(out), zeros(z) {}
      float* begin(Index m0, int rows) override {
        if (ep == nullptr || ep->scatter == nullptr) return y + m0 * s.co;
        thread_local std::vector<float> stage;
        return scratch(stage, static_cast<std::size_t>(rows) * s.co);
      }
      void end(Index m0, int rows, float* values) override {
        if (ep) apply_epilogue(s, *ep, m0, rows, values, y, zeros);
      }
    } sink(s, ep, y, zeros.data());
    direct_conv2d(s, x, w, sink);
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
  parallel_for(tasks, [&](int t, int) {
    const Index m0 = static_cast<Index>(t) * rows_per_task;
    const int rows = static_cast<int>(std::min<Index>(rows_per_task, m - m0));
    thread_local std::vector<float> stage;
    float* const staging = staged ? scratch(stage, static_cast<std::size_t>(rows_per_task) * s.co) : nullptr;
    // Conv values of rows m0 + r0 .. go to dst(r0) with row stride co.
    auto dst = [&](int r0) { return staged ? staging + static_cast<Index>(r0) * s.co : y + (m0 + r0) * s.co; };
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

void conv2d_backprop_filter(const ConvShape& s, const float* x, const float* dy, float* dw) {
  const int k = patch_size(s);
  const Index m = out_rows(s);
  const Index size = static_cast<Index>(k) * s.co;
  // Reduction over M split into a fixed number of contiguous ranges (groups); each group owns a
  // partial dW, summed in group order at the end, so the result depends neither on thread
  // scheduling nor on the thread count. More groups than threads: on a shared machine a
  // descheduled worker's groups are picked up by the others.
  constexpr int kChunk = 128;  // rows of im2col(x) and dy per GEMM (im2col chunk stays in L2)
  constexpr Index kGroups = 8;
  const Index chunks = (m + kChunk - 1) / kChunk;
  const int groups = static_cast<int>(std::max<Index>(1, std::min<Index>(kGroups, chunks)));
  std::vector<float> partial(static_cast<std::size_t>(groups - 1) * size);
  const bool pointwise = is_pointwise(s);
  parallel_for(groups, [&](int g, int) {
    float* acc = g == 0 ? dw : partial.data() + (g - 1) * size;
    std::fill(acc, acc + size, 0.0f);
    const Index c0 = chunks * g / groups, c1 = chunks * (g + 1) / groups;
    thread_local std::vector<float> col, dyp;
    for (Index c = c0; c < c1; c++) {
      const Index m0 = c * kChunk;
      const int rows = static_cast<int>(std::min<Index>(kChunk, m - m0));
      // With exactly one 16-wide panel, dy rows already are the packed layout.
      const float* b_packed = dy + m0 * s.co;
      if (s.co != NR) {
        float* const packed = scratch(dyp, packed_b_size(rows, s.co));
        pack_b(dy + m0 * s.co, rows, s.co, s.co, 1, packed);
        b_packed = packed;
      }
      const float* a;
      Index a_ks;
      if (pointwise) {
        a = x + m0 * s.ci;
        a_ks = s.ci;
      } else {
        float* const cols = scratch(col, static_cast<std::size_t>(rows) * k);
        im2col_rows(s, x, m0, rows, cols);
        a = cols;
        a_ks = k;
      }
      // dW[K, co] += im2col^T [K, rows] * dy [rows, co]: A(r, p) = col[p*K + r].
      gemm(k, s.co, rows, a, 1, a_ks, b_packed, acc, s.co, true);
    }
  });
  for (int g = 1; g < groups; g++) {
    const float* p = partial.data() + (g - 1) * size;
    for (Index i = 0; i < size; i++) dw[i] += p[i];
  }
}

void conv2d_backprop_input(const ConvShape& s, const float* dy, const float* w, float* dx) {
  if (s.sh == 1 && s.sw == 1 && !is_pointwise(s)) {
    // Stride 1: dx[ih, iw, c] = sum_{i,j,o} dy[ih + pt - i, iw + pl - j, o] * w[i, j, c, o] is a forward
    // conv of dy with the flipped, in/out-swapped filter wf[i', j', o, c] = w[kh-1-i', kw-1-j', c, o]
    // and padding kh-1-pt: a long reduction (kh*kw*co) instead of a GEMM over co plus col2im.
    std::vector<float> wf(static_cast<std::size_t>(s.kh) * s.kw * s.co * s.ci);
    for (int i = 0; i < s.kh; i++)
      for (int j = 0; j < s.kw; j++)
        for (int c = 0; c < s.ci; c++)
          for (int o = 0; o < s.co; o++)
            wf[((static_cast<Index>(i) * s.kw + j) * s.co + o) * s.ci + c] =
                w[((static_cast<Index>(s.kh - 1 - i) * s.kw + (s.kw - 1 - j)) * s.ci + c) * s.co + o];
    const ConvShape t{s.n, s.oh, s.ow, s.co, s.kh, s.kw, s.ci, s.h, s.w, 1, 1, s.kh - 1 - s.pt, s.kw - 1 - s.pl};
    conv2d(t, dy, wf.data(), dx);
    return;
  }
  const int k = patch_size(s);
  const Index plane = static_cast<Index>(s.oh) * s.ow;
  const Index image = static_cast<Index>(s.h) * s.w * s.ci;
  // B = w^T [co, K]: B(c, p) = w[p*co + c].
  std::vector<float> bp(packed_b_size(s.co, k));
  pack_b(w, s.co, k, 1, s.co, bp.data());
  const int mr = microkernel().mr;
  const bool pointwise = is_pointwise(s);
  // One task per image: the col2im scatter of an image never crosses into another, so no atomics.
  parallel_for(s.n, [&](int n, int) {
    const Index m0 = n * plane;
    float* out = dx + n * image;
    if (pointwise) {
      gemm(static_cast<int>(plane), k, s.co, dy + m0 * s.co, s.co, 1, bp.data(), out, k, false);
      return;
    }
    std::fill(out, out + image, 0.0f);
    thread_local std::vector<float> tile;
    float* const tiles = scratch(tile, static_cast<std::size_t>(mr) * k);
    for (Index r0 = 0; r0 < plane; r0 += mr) {
      const int rows = static_cast<int>(std::min<Index>(mr, plane - r0));
      gemm(rows, k, s.co, dy + (m0 + r0) * s.co, s.co, 1, bp.data(), tiles, k, false);
      col2im_add_rows(s, tiles, m0 + r0, rows, dx);
    }
  });
}

}  // namespace wb
