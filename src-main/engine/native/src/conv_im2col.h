// The pieces the GEMM-path conv kernels share: patch geometry and the im2col / col2im row copies
// (NHWC, filter layout [kh, kw, ci, co]).
#pragma once
#include <cstddef>

#include "conv.h"

namespace wb {

// Short copies (a few channels): an inlined loop beats a libc memcpy call here.
inline void copy_floats(float* dst, const float* src, int count) {
  for (int c = 0; c < count; c++) dst[c] = src[c];
}

inline int patch_size(const ConvShape& s) { return s.kh * s.kw * s.ci; }
inline std::ptrdiff_t out_rows(const ConvShape& s) { return static_cast<std::ptrdiff_t>(s.n) * s.oh * s.ow; }

// 1x1, stride 1, no padding: im2col(x) is x itself.
inline bool is_pointwise(const ConvShape& s) {
  return s.kh == 1 && s.kw == 1 && s.sh == 1 && s.sw == 1 && s.pt == 0 && s.pl == 0 && s.oh == s.h && s.ow == s.w;
}

// col[r, (i*kw + j)*ci + c] = x_pad[n, oh*sh + i, ow*sw + j, c] for output rows m0 .. m0+rows,
// rows `ld` floats apart (0: kh*kw*ci, packed; a larger ld leaves the floats in between untouched).
void im2col_rows(const ConvShape& s, const float* x, std::ptrdiff_t m0, int rows, float* col, std::ptrdiff_t ld = 0);
// dx_pad[n, oh*sh + i, ow*sw + j, c] += col[r, (i*kw + j)*ci + c], the inverse scatter of im2col_rows.
void col2im_add_rows(const ConvShape& s, const float* col, std::ptrdiff_t m0, int rows, float* dx);

// The rows and columns of x a conv reads, zero-padded: hp = (oh-1)*sh + kh, wp = (ow-1)*sw + kw.
struct PaddedGeometry {
  int hp, wp;
  explicit PaddedGeometry(const ConvShape& s) : hp((s.oh - 1) * s.sh + s.kh), wp((s.ow - 1) * s.sw + s.kw) {}
  std::ptrdiff_t image() const { return static_cast<std::ptrdiff_t>(hp) * wp; }
};
// Image n of x zero-padded to [hp, wp, ci] (s.pt rows and s.pl columns before, both >= 0), for
// kernels that read a filter row's kw*ci taps in place instead of copying them into im2col rows.
void pad_image_for_taps(const ConvShape& s, const PaddedGeometry& g, const float* x, std::ptrdiff_t n, float* out);

}  // namespace wb
