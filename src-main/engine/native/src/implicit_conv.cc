#include "implicit_conv.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "env_switch.h"
#include "gemm.h"
#include "thread_pool.h"

namespace wb {

using Index = std::ptrdiff_t;

namespace {

bool enabled() { return switch_on("WORKBENCH_NATIVE_IMPLICIT"); }

}  // namespace

bool implicit_conv_applies(const ConvShape& s, bool for_filter) {
  // Where the im2col copy costs most relative to the products: one 16-wide panel of filters
  // (the copy is not shared between panels) or a few input channels (short copies). With 32+
  // filters the copy is amortised over the panels and the dropped pixels cost as much as it
  // (measured: 32 filters on 16x16 even, 64 on 32x16 slower); 8x8 maps would drop 2 of 10 pixels.
  if (!enabled() || s.sh != 1 || s.sw != 1 || s.kh * s.kw == 1 || s.ow < 12) return false;
  if (s.co <= NR || s.ci <= 4) return true;
  // With each image padded in cache (per_image_padding) the copy is cheap enough that 32 filters
  // on rows of 16+ pixels gain too, forward and backprop-input (measured on ResNet stage 2,
  // 3x3 32->32 on 16x16: x1.07-1.12 CPU time), not backprop-filter (x0.97) nor 8x8 maps (x0.75-0.83).
  // WORKBENCH_NATIVE_IMPLICIT_WIDE=0 (read per call) keeps these on im2col for A/B timing.
  const bool wide_on = switch_on("WORKBENCH_NATIVE_IMPLICIT_WIDE");
  // K <= 512: the alternative is then the plain im2col path, bit-identical to this one, so the
  // result never depends on the thread count that per_image_padding reads (the K-blocked im2col
  // path sums in another order).
  return wide_on && !for_filter && s.co <= 2 * NR && s.ow >= 16 && s.kh * s.kw * s.ci <= 512 && per_image_padding(s);
}

void pad_image(const ConvShape& s, const float* x, int n, float* out) {
  const int hp = s.oh + s.kh - 1, wp = s.ow + s.kw - 1;
  const Index row = static_cast<Index>(wp) * s.ci;
  for (int py = 0; py < hp; py++) {
    float* dst = out + py * row;
    const int iy = py - s.pt;
    if (iy < 0 || iy >= s.h) {
      std::memset(dst, 0, sizeof(float) * row);
      continue;
    }
    // Padded columns [pl, pl + w) hold x's row (cropped where 'valid'-like padding drops pixels).
    const int x0 = std::max(0, -s.pl), x1 = std::min(s.w, wp - s.pl);
    const int left = std::max(0, s.pl);
    std::memset(dst, 0, sizeof(float) * left * s.ci);
    std::memcpy(dst + static_cast<Index>(left) * s.ci, x + ((static_cast<Index>(n) * s.h + iy) * s.w + x0) * s.ci,
                sizeof(float) * (x1 - x0) * s.ci);
    const int right = wp - left - (x1 - x0);
    std::memset(dst + static_cast<Index>(left + x1 - x0) * s.ci, 0, sizeof(float) * right * s.ci);
  }
}

float* pad_images(const ConvShape& s, const float* x, std::size_t slack) {
  const Index image = padded_image_size(s);
  // Only grows (a shrink-and-regrow would zero it each call); one per calling thread.
  thread_local std::vector<float> buffer;
  float* xp = scratch(buffer, static_cast<std::size_t>(s.n) * image + slack);
  parallel_for(s.n, [&](int n, int) { pad_image(s, x, n, xp + n * image); });
  std::memset(xp + s.n * image, 0, sizeof(float) * slack);
  return xp;
}

bool prefetch_next_image() { return switch_on("WORKBENCH_NATIVE_PREFETCH"); }

bool per_image_padding(const ConvShape& s) {
  // Each task pads its own image into a per-thread buffer that stays in L2 and convolves it at once,
  // instead of a padded copy of the whole batch written to and read back from memory (the copy was
  // a fifth of a 16-channel conv's time). Needs enough images to keep every thread busy; one image
  // of up to 512 KiB. WORKBENCH_NATIVE_PAD_PER_IMAGE=0 (read per call) keeps the batch copy.
  if (!switch_on("WORKBENCH_NATIVE_PAD_PER_IMAGE")) return false;
  return s.n >= 4 * threads() && padded_image_size(s) * sizeof(float) <= (512u << 10);
}

void implicit_conv2d(const ConvShape& s, const float* x, const float* bp, RowSink& sink) {
  const int wp = s.ow + s.kw - 1;
  const int len = s.kw * s.ci;  // one filter row's taps: contiguous in the padded image
  const Index seg_stride = static_cast<Index>(wp) * s.ci;
  const Index image = padded_image_size(s);
  const int k = s.kh * len;
  // A tile's last rows may be dropped pixels of the last output row, reading up to kw - 1 pixels
  // past the padded image: zeros.
  const std::size_t slack = static_cast<std::size_t>(s.kw) * s.ci + 16;
  const bool own = per_image_padding(s);
  const float* xp = own ? nullptr : pad_images(s, x, slack);
  const bool prefetch_on = prefetch_next_image();
  const Microkernel& mk = microkernel();
  const int mr = mk.mr;
  const Index q_end = static_cast<Index>(s.oh - 1) * wp + s.ow;  // past the last kept pixel of an image
  const int rows_per_task = mr * std::max(1, 96 / mr);
  const int blocks = own ? 1 : static_cast<int>((q_end + rows_per_task - 1) / rows_per_task);
  parallel_for(s.n * blocks, [&](int t, int) {
    const int n = t / blocks;
    const Index q_task = own ? 0 : static_cast<Index>(t % blocks) * rows_per_task;
    const Index q_stop = own ? q_end : std::min<Index>(q_end, q_task + rows_per_task);
    const float* img;
    if (own) {
      thread_local std::vector<float> own_buffer;
      float* const padded = scratch(own_buffer, static_cast<std::size_t>(image) + slack);
      pad_image(s, x, n, padded);
      std::memset(padded + image, 0, sizeof(float) * slack);
      img = padded;
    } else {
      img = xp + n * image;
    }
    thread_local std::vector<float> tile_buffer;
    float* const tile = scratch(tile_buffer, static_cast<std::size_t>(mr) * s.co);
    // While this image is convolved, the next one (likely this thread's or the other's next task) is
    // requested from memory a few lines per tile, so its padding copy reads from cache.
    const char* next = own && n + 1 < s.n ? reinterpret_cast<const char*>(x + static_cast<Index>(n + 1) * s.h * s.w * s.ci) : nullptr;
    const Index next_bytes = static_cast<Index>(s.h) * s.w * s.ci * sizeof(float);
    const Index tiles = (q_stop - q_task + mr - 1) / mr;
    const Index lines_per_tile = (next_bytes / 64 + tiles - 1) / tiles;
    Index prefetched = 0;
    for (Index q0 = q_task; q0 < q_stop; q0 += mr) {
      const int rows = static_cast<int>(std::min<Index>(mr, q_stop - q0));
      if (next != nullptr && prefetch_on)
        for (Index l = 0; l < lines_per_tile && prefetched < next_bytes; l++, prefetched += 64) __builtin_prefetch(next + prefetched, 0, 2);
      const float* a = img + q0 * s.ci;
      for (int j0 = 0; j0 < s.co; j0 += NR)
        mk.run_segments(s.kh, len, seg_stride, a, s.ci, bp + static_cast<Index>(j0) * k, tile + j0, s.co, rows, std::min(NR, s.co - j0));
      // Kept pixels of the tile are consecutive output rows in runs (a run ends at a dropped pixel).
      for (int r = 0; r < rows;) {
        const Index q = q0 + r;
        const int ox = static_cast<int>(q % wp);
        if (ox >= s.ow) {
          r += std::min(rows - r, wp - ox);
          continue;
        }
        const int run = std::min(rows - r, s.ow - ox);
        const Index m = (static_cast<Index>(n) * s.oh + q / wp) * s.ow + ox;
        sink.put(m, run, tile + static_cast<Index>(r) * s.co, s.co);
        r += run;
      }
    }
  });
}

}  // namespace wb
