// Stride-1 convolutions read straight from a zero-padded copy of the image: the GEMM kernel's
// tiles take their B columns from consecutive pixels (one run of channels per kernel tap), so
// no patch matrix (9x the image for a 3x3 kernel) is written or read. The input gradient is the
// same computation over the padded output gradient with the kernel flipped and transposed, so
// it needs neither the patch-gradient matrix nor col2im's scatter.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstring>
#include <type_traits>

#include "../../core/buffer.hpp"
#include "../geometry.hpp"
#include "small_gemm.hpp"

namespace tensorguard::cpu {

class Convolution {
 public:
  // y (n x out_h x out_w x filters) += the convolution of x with w (filters x patch,
  // column-major, the patch ordered kernel row, kernel column, channel). Stride 1 only.
  template <class T>
  void convolve(const WindowGeometry& g, const T* w, const T* x, T* y, std::size_t filters,
                std::size_t n) {
    const std::size_t f = filters;
    run(g.kernel_h, g.kernel_w, g.channels, f, x, g.in_h, g.in_w, g.pad_top, g.pad_left, g.out_h,
        g.out_w, y, n, [w, f](std::size_t i, std::size_t k) { return w[i + k * f]; });
  }

  // dx (n x in_h x in_w x channels) = the gradient of the inputs for output gradients dz
  // (n x out_h x out_w x filters). Stride 1 only.
  template <class T>
  void convolve_input_gradient(const WindowGeometry& g, const T* w, const T* dz, T* dx,
                               std::size_t filters, std::size_t n) {
    std::memset(dx, 0, n * g.in_size() * sizeof(T));
    const std::size_t f = filters, c = g.channels, last_tap = g.kernel_h * g.kernel_w - 1;
    // Row i (input channel), column k = tap * filters + filter of the flipped, transposed kernel.
    run(g.kernel_h, g.kernel_w, f, c, dz, g.out_h, g.out_w, g.kernel_h - 1 - g.pad_top,
        g.kernel_w - 1 - g.pad_left, g.in_h, g.in_w, dx, n,
        [w, f, c, last_tap](std::size_t i, std::size_t k) {
          return w[k % f + ((last_tap - k / f) * c + i) * f];
        });
  }

 private:
  // out (n x out_h x out_w x m) += the stride-1 correlation of src (n x src_h x src_w x ch),
  // placed at (top, left) in a zero image of (out_h + kh - 1) x (out_w + kw - 1), with the
  // m x (kh * kw * ch) matrix element(i, k).
  template <class T, class Element>
  void run(std::size_t kh, std::size_t kw, std::size_t ch, std::size_t m, const T* src,
           std::size_t src_h, std::size_t src_w, std::size_t top, std::size_t left,
           std::size_t out_h, std::size_t out_w, T* out, std::size_t n, Element element) {
    if (m <= small_gemm::lanes<T>)
      run<T, 1>(kh, kw, ch, m, src, src_h, src_w, top, left, out_h, out_w, out, n, element);
    else
      run<T, 2>(kh, kw, ch, m, src, src_h, src_w, top, left, out_h, out_w, out, n, element);
  }

  template <class T, int Vectors, class Element>
  void run(std::size_t kh, std::size_t kw, std::size_t ch, std::size_t m, const T* src,
           std::size_t src_h, std::size_t src_w, std::size_t top, std::size_t left,
           std::size_t out_h, std::size_t out_w, T* out, std::size_t n, Element element) {
    constexpr int Columns = small_gemm::columns_for<Vectors>;
    constexpr std::size_t rows = std::size_t(Vectors) * small_gemm::lanes<T>;
    const std::size_t padded_h = out_h + kh - 1, padded_w = out_w + kw - 1;
    // Output positions run along the padded rows (kw - 1 of every padded_w are not outputs and
    // are not stored), so a tile's pixels are evenly spaced; the last tile reads past the image
    // into zeros.
    const std::size_t image = padded_h * padded_w * ch, tail = (Columns + kw) * ch;
    const std::size_t taps = kh * kw, k = taps * ch;
    // Inner blocks of whole taps, at most about 256 long and of equal size; blocks of at most
    // 256 rows.
    const std::size_t blocks =
        (taps + std::max<std::size_t>(1, 256 / ch) - 1) / std::max<std::size_t>(1, 256 / ch);
    const std::size_t taps_per_block = (taps + blocks - 1) / blocks;
    const std::size_t row_block = 256;
    auto& ws = workspace<T>();
    ws.padded.resize(std::max(ws.padded.size(), image + tail));
    ws.packed.resize(std::max(ws.packed.size(), ((std::min(m, row_block) + rows - 1) / rows) *
                                                    rows * std::min(k, taps_per_block * ch)));
    ws.offsets.resize(std::max(ws.offsets.size(), taps));
    for (std::size_t t = 0; t < taps; ++t) ws.offsets[t] = ((t / kw) * padded_w + t % kw) * ch;
    T* padded = ws.padded.data();
    std::fill(padded + image, padded + image + tail, T(0));
    const std::size_t positions = out_h * padded_w;
    T* dst[Columns];
    for (std::size_t s = 0; s < n; ++s) {
      place(src + s * src_h * src_w * ch, src_h, src_w, ch, top, left, padded_h, padded_w, padded);
      T* out_image = out + s * out_h * out_w * m;
      for (std::size_t t0 = 0; t0 < taps; t0 += taps_per_block) {
        const std::size_t block_taps = std::min(taps_per_block, taps - t0), kc = block_taps * ch;
        for (std::size_t m0 = 0; m0 < m; m0 += row_block) {
          const std::size_t mc = std::min(row_block, m - m0), tiles = (mc + rows - 1) / rows;
          small_gemm::pack_a(ws.packed.data(), rows, m, m0, mc, t0 * ch, kc, element);
          for (std::size_t q0 = 0; q0 < positions; q0 += std::size_t(Columns)) {
            const small_gemm::TileB<T> tile{padded + q0 * ch,      1, ch, ch, block_taps,
                                            ws.offsets.data() + t0};
            for (std::size_t t = 0; t < tiles; ++t) {
              for (std::size_t j = 0; j < std::size_t(Columns); ++j) {
                const std::size_t q = q0 + j, oy = q / padded_w, ox = q % padded_w;
                dst[j] = q < positions && ox < out_w
                             ? out_image + (oy * out_w + ox) * m + m0 + t * rows
                             : nullptr;
              }
              small_gemm::micro_kernel<T, Vectors, Columns>(
                  ws.packed.data() + t * rows * kc, tile, dst, T(1), std::min(rows, mc - t * rows));
            }
          }
        }
      }
    }
  }

  // Copies one h x w x ch image into the padded one at (top, left) and zeroes the border.
  template <class T>
  static void place(const T* src, std::size_t h, std::size_t w, std::size_t ch, std::size_t top,
                    std::size_t left, std::size_t padded_h, std::size_t padded_w, T* padded) {
    const std::size_t row = padded_w * ch;
    std::fill(padded, padded + top * row, T(0));
    for (std::size_t y = 0; y < h; ++y) {
      T* line = padded + (top + y) * row;
      std::fill(line, line + left * ch, T(0));
      std::memcpy(line + left * ch, src + y * w * ch, w * ch * sizeof(T));
      std::fill(line + (left + w) * ch, line + row, T(0));
    }
    std::fill(padded + (top + h) * row, padded + padded_h * row, T(0));
  }

  template <class T>
  struct Workspace {
    Buffer<T> padded, packed;
    Buffer<std::size_t> offsets;
  };
  template <class T>
  Workspace<T>& workspace() {
    if constexpr (std::is_same_v<T, float>)
      return float_workspace_;
    else
      return double_workspace_;
  }
  Workspace<float> float_workspace_;
  Workspace<double> double_workspace_;
};

}  // namespace tensorguard::cpu
