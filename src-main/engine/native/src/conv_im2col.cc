#include "conv_im2col.h"

#include <algorithm>
#include <cstring>

namespace wb {

using Index = std::ptrdiff_t;

// The row copies compiled for each ISA (the baseline build copies 4 floats per instruction): the
// im2col copy was 28% of a stride-2 16-channel conv's time. Copies and element-wise adds: the same
// values on every variant.
#if defined(__x86_64__) && defined(__linux__) && (defined(__GNUC__) && !defined(__clang__))
#define WB_ISA_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define WB_ISA_CLONES
#endif

WB_ISA_CLONES void im2col_rows(const ConvShape& s, const float* x, Index m0, int rows, float* col, Index ld) {
  const Index k = ld > 0 ? ld : patch_size(s);
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

WB_ISA_CLONES void col2im_add_rows(const ConvShape& s, const float* col, Index m0, int rows, float* dx) {
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

void pad_image_for_taps(const ConvShape& s, const PaddedGeometry& g, const float* x, Index n, float* out) {
  const Index row = static_cast<Index>(g.wp) * s.ci;
  const int left = std::min(s.pl, g.wp);
  const int inside = std::max(0, std::min(s.w, g.wp - s.pl));
  for (int py = 0; py < g.hp; py++) {
    float* dst = out + py * row;
    const int iy = py - s.pt;
    if (iy < 0 || iy >= s.h) {
      std::fill(dst, dst + row, 0.0f);
      continue;
    }
    std::fill(dst, dst + static_cast<Index>(left) * s.ci, 0.0f);
    std::copy_n(x + ((n * s.h + iy) * s.w) * s.ci, static_cast<Index>(inside) * s.ci, dst + static_cast<Index>(left) * s.ci);
    std::fill(dst + static_cast<Index>(left + inside) * s.ci, dst + row, 0.0f);
  }
}

}  // namespace wb
