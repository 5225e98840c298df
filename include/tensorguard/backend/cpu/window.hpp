// Convolution lowering (im2col/col2im) and pooling over NHWC images on the CPU.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>

#include "../../detail/config.hpp"
#include "../geometry.hpp"
#include "small_gemm.hpp"

namespace tensorguard::cpu {

struct Window {
  // cols: for each sample and output position, the patch (kernel_h x kernel_w x channels)
  // as one column of a column-major (patch_size x n * out_positions) matrix. Padding reads 0.
  template <class T>
  static void im2col(const WindowGeometry& g, const T* x, T* cols, std::size_t n);

  // The adjoint of im2col: dx = sum of every patch gradient back into its pixels.
  template <class T>
  static void col2im(const WindowGeometry& g, const T* cols, T* dx, std::size_t n);

  // Max pooling; argmax keeps, per output, the input offset (within the sample) that won.
  // Padded positions never win (TensorFlow's rule).
  template <class T>
  static void max_pool_forward(const WindowGeometry& g, const T* x, T* y, std::uint32_t* argmax,
                               std::size_t n);
  // Each window clipped to the image once (padding never wins), then its running maximum and
  // index kept in registers with selects, a vector of float channels at a time (GCC does not
  // vectorise the channel loop around the window's: 4 ns per output on 28 x 28 x 16, batch 64,
  // against 0.85 written with vectors; a padded 3 x 3 window on one channel had a branch per
  // pixel, 20 % of the Inception block's single-image predict).
  template <class T>
  static void max_pool_windows(const WindowGeometry& g, const T* x, T* y, std::uint32_t* argmax,
                               std::size_t n) {
    const std::size_t c = g.channels, row = g.in_w * c;
    constexpr std::size_t L = std::is_same_v<T, float> ? small_gemm::lanes<float> : 0;
    using V = typename small_gemm::VectorOf<float>::type;
    typedef std::int32_t Index __attribute__((vector_size(sizeof(V))));
    Index lane{};
    for (std::size_t i = 0; i < L; ++i) lane[i] = std::int32_t(i);
    // The kernel rows (or columns) [first, last) of the window at `start` inside `size` pixels.
    auto clip = [](std::ptrdiff_t start, std::size_t kernel, std::size_t size) {
      const std::ptrdiff_t first = std::max<std::ptrdiff_t>(0, -start);
      const std::ptrdiff_t last =
          std::min<std::ptrdiff_t>(std::ptrdiff_t(kernel), std::ptrdiff_t(size) - start);
      return std::pair<std::ptrdiff_t, std::ptrdiff_t>{first, std::max(first, last)};
    };
    for (std::size_t s = 0; s < n; ++s) {
      const T* img = x + s * g.in_size();
      for (std::size_t oy = 0; oy < g.out_h; ++oy) {
        const std::ptrdiff_t top = std::ptrdiff_t(oy * g.stride_h) - std::ptrdiff_t(g.pad_top);
        const auto [ky0, ky1] = clip(top, g.kernel_h, g.in_h);
        for (std::size_t ox = 0; ox < g.out_w; ++ox, y += c, argmax += c) {
          const std::ptrdiff_t left = std::ptrdiff_t(ox * g.stride_w) - std::ptrdiff_t(g.pad_left);
          const auto [kx0, kx1] = clip(left, g.kernel_w, g.in_w);
          if (ky0 == ky1 || kx0 == kx1) {  // all padding (kernels larger than the padding + 1)
            std::fill(y, y + c, -std::numeric_limits<T>::infinity());
            std::fill(argmax, argmax + c, std::uint32_t(0));
            continue;
          }
          const std::size_t first = std::size_t(top + ky0) * row + std::size_t(left + kx0) * c;
          const std::size_t rows = std::size_t(ky1 - ky0), columns = std::size_t(kx1 - kx0);
          std::size_t ch = 0;
          if constexpr (L > 0)
            for (; ch + L <= c; ch += L) {
              V best;
              std::memcpy(&best, img + first + ch, sizeof best);
              Index at = lane + std::int32_t(first + ch);
              for (std::size_t ky = 0; ky < rows; ++ky)
                for (std::size_t kx = 0; kx < columns; ++kx) {
                  const std::size_t i = first + ky * row + kx * c + ch;
                  V v;
                  std::memcpy(&v, img + i, sizeof v);
                  const auto larger = v > best;
                  best = larger ? v : best;
                  at = larger ? lane + std::int32_t(i) : at;
                }
              std::memcpy(y + ch, &best, sizeof best);
              std::memcpy(argmax + ch, &at, sizeof at);
            }
          for (; ch < c; ++ch) {
            T best = img[first + ch];
            std::uint32_t at = std::uint32_t(first + ch);
            for (std::size_t ky = 0; ky < rows; ++ky)
              for (std::size_t kx = 0; kx < columns; ++kx) {
                const std::size_t i = first + ky * row + kx * c + ch;
                const bool larger = img[i] > best;
                best = larger ? img[i] : best;
                at = larger ? std::uint32_t(i) : at;
              }
            y[ch] = best;
            argmax[ch] = at;
          }
        }
      }
    }
  }

  template <class T>
  static void max_pool_backward(const WindowGeometry& g, const T* dy, const std::uint32_t* argmax,
                                T* dx, std::size_t n);

  // Windows that tile the image (stride = kernel, no padding): per band of kernel_h input rows,
  // zero the band (it is in L1) and put each winner's gradient in. Branch-free: a select per
  // pixel on the winner's index compiles to a branch per pixel when the channel count is a
  // constant, and random winners mispredict it (1.9 ms instead of 0.2 ms on 28x28x16, batch 64).
  template <class T>
  static void max_pool_backward_tiled(const WindowGeometry& g, const T* dy,
                                      const std::uint32_t* argmax, T* dx, std::size_t n) {
    const std::size_t row = g.in_w * g.channels, band = g.kernel_h * row;
    const std::size_t per_band = g.out_w * g.channels, covered_h = g.out_h * g.kernel_h;
    for (std::size_t s = 0; s < n; ++s) {
      T* img = dx + s * g.in_size();
      for (std::size_t oy = 0; oy < g.out_h; ++oy, dy += per_band, argmax += per_band) {
        std::memset(img + oy * band, 0, band * sizeof(T));
        for (std::size_t i = 0; i < per_band; ++i) img[argmax[i]] = dy[i];
      }
      // Rows no window covers (the last when the height is not a multiple of the window).
      std::memset(img + covered_h * row, 0, (g.in_h - covered_h) * row * sizeof(T));
    }
  }

  // Average pooling over the valid (unpadded) pixels of each window, as TensorFlow does.
  template <class T>
  static void avg_pool_forward(const WindowGeometry& g, const T* x, T* y, std::size_t n);
  template <class T>
  static void avg_pool_backward(const WindowGeometry& g, const T* dy, T* dx, std::size_t n);

  // y[s, c] = mean over pixels of x[s, :, :, c]
  template <class T>
  static void global_avg_pool_forward(const T* x, T* y, std::size_t pixels, std::size_t channels,
                                      std::size_t n);
  template <class T>
  static void global_avg_pool_backward(const T* dy, T* dx, std::size_t pixels, std::size_t channels,
                                       std::size_t n);

 private:
  // Calls visit(sample, out_position, in_pixel_offset, 1 / valid_pixels) for each valid pixel.
  template <class Visit, class Start, class T>
  static void window_walk(const WindowGeometry& g, std::size_t n, Visit visit, Start start, T) {
    start(n * g.out_positions() * g.channels);
    for (std::size_t s = 0; s < n; ++s)
      for (std::size_t oy = 0; oy < g.out_h; ++oy)
        for (std::size_t ox = 0; ox < g.out_w; ++ox) {
          const std::ptrdiff_t y0 = std::ptrdiff_t(oy * g.stride_h) - std::ptrdiff_t(g.pad_top);
          const std::ptrdiff_t x0 = std::ptrdiff_t(ox * g.stride_w) - std::ptrdiff_t(g.pad_left);
          const std::ptrdiff_t y_lo = std::max<std::ptrdiff_t>(y0, 0);
          const std::ptrdiff_t y_hi =
              std::min<std::ptrdiff_t>(y0 + std::ptrdiff_t(g.kernel_h), std::ptrdiff_t(g.in_h));
          const std::ptrdiff_t x_lo = std::max<std::ptrdiff_t>(x0, 0);
          const std::ptrdiff_t x_hi =
              std::min<std::ptrdiff_t>(x0 + std::ptrdiff_t(g.kernel_w), std::ptrdiff_t(g.in_w));
          const T inv = T(1) / T((y_hi - y_lo) * (x_hi - x_lo));
          for (std::ptrdiff_t iy = y_lo; iy < y_hi; ++iy)
            for (std::ptrdiff_t ix = x_lo; ix < x_hi; ++ix)
              visit(s, oy * g.out_w + ox, (std::size_t(iy) * g.in_w + std::size_t(ix)) * g.channels,
                    inv);
        }
  }
};

template <class T>
void Window::im2col(const WindowGeometry& g, const T* x, T* cols, std::size_t n) {
  const std::size_t c = g.channels;
  for (std::size_t s = 0; s < n; ++s) {
    const T* img = x + s * g.in_size();
    for (std::size_t oy = 0; oy < g.out_h; ++oy)
      for (std::size_t ox = 0; ox < g.out_w; ++ox) {
        for (std::size_t ky = 0; ky < g.kernel_h; ++ky) {
          const std::ptrdiff_t iy =
              std::ptrdiff_t(oy * g.stride_h + ky) - std::ptrdiff_t(g.pad_top);
          T* dst = cols + ky * g.kernel_w * c;
          if (iy < 0 || iy >= std::ptrdiff_t(g.in_h)) {
            std::memset(dst, 0, g.kernel_w * c * sizeof(T));
            continue;
          }
          const std::ptrdiff_t ix0 = std::ptrdiff_t(ox * g.stride_w) - std::ptrdiff_t(g.pad_left);
          if (ix0 >= 0 && ix0 + std::ptrdiff_t(g.kernel_w) <= std::ptrdiff_t(g.in_w)) {
            std::memcpy(dst, img + (std::size_t(iy) * g.in_w + std::size_t(ix0)) * c,
                        g.kernel_w * c * sizeof(T));
            continue;
          }
          for (std::size_t kx = 0; kx < g.kernel_w; ++kx) {
            const std::ptrdiff_t ix = ix0 + std::ptrdiff_t(kx);
            if (ix < 0 || ix >= std::ptrdiff_t(g.in_w))
              std::memset(dst + kx * c, 0, c * sizeof(T));
            else
              std::memcpy(dst + kx * c, img + (std::size_t(iy) * g.in_w + std::size_t(ix)) * c,
                          c * sizeof(T));
          }
        }
        cols += g.patch_size();
      }
  }
}

template <class T>
void Window::col2im(const WindowGeometry& g, const T* cols, T* dx, std::size_t n) {
  const std::size_t c = g.channels;
  std::memset(dx, 0, n * g.in_size() * sizeof(T));
  for (std::size_t s = 0; s < n; ++s) {
    T* img = dx + s * g.in_size();
    for (std::size_t oy = 0; oy < g.out_h; ++oy)
      for (std::size_t ox = 0; ox < g.out_w; ++ox) {
        for (std::size_t ky = 0; ky < g.kernel_h; ++ky) {
          const std::ptrdiff_t iy =
              std::ptrdiff_t(oy * g.stride_h + ky) - std::ptrdiff_t(g.pad_top);
          if (iy < 0 || iy >= std::ptrdiff_t(g.in_h)) continue;
          for (std::size_t kx = 0; kx < g.kernel_w; ++kx) {
            const std::ptrdiff_t ix =
                std::ptrdiff_t(ox * g.stride_w + kx) - std::ptrdiff_t(g.pad_left);
            if (ix < 0 || ix >= std::ptrdiff_t(g.in_w)) continue;
            T* dst = img + (std::size_t(iy) * g.in_w + std::size_t(ix)) * c;
            const T* src = cols + (ky * g.kernel_w + kx) * c;
            for (std::size_t ch = 0; ch < c; ++ch) dst[ch] += src[ch];
          }
        }
        cols += g.patch_size();
      }
  }
}

template <class T>
void Window::max_pool_forward(const WindowGeometry& g, const T* x, T* y, std::uint32_t* argmax,
                              std::size_t n) {
  max_pool_windows(g, x, y, argmax, n);
}

template <class T>
void Window::max_pool_backward(const WindowGeometry& g, const T* dy, const std::uint32_t* argmax,
                               T* dx, std::size_t n) {
  // Tiles: stride = kernel, no padding, and no window over the bottom or right edge (Same
  // padding puts its extra row and column there, with pad_top and pad_left 0).
  if (g.pad_top == 0 && g.pad_left == 0 && g.stride_h == g.kernel_h && g.stride_w == g.kernel_w &&
      g.out_h * g.kernel_h <= g.in_h && g.out_w * g.kernel_w <= g.in_w) {
    max_pool_backward_tiled(g, dy, argmax, dx, n);
    return;
  }
  std::memset(dx, 0, n * g.in_size() * sizeof(T));
  const std::size_t per_sample = g.out_positions() * g.channels;
  for (std::size_t s = 0; s < n; ++s) {
    T* img = dx + s * g.in_size();
    for (std::size_t i = 0; i < per_sample; ++i) img[argmax[i]] += dy[i];
    dy += per_sample;
    argmax += per_sample;
  }
}

template <class T>
void Window::avg_pool_forward(const WindowGeometry& g, const T* x, T* y, std::size_t n) {
  window_walk(
      g, n,
      [&](std::size_t s, std::size_t out, std::size_t in, T inv_count) {
        const std::size_t c = g.channels;
        for (std::size_t ch = 0; ch < c; ++ch)
          y[s * g.out_positions() * c + out * c + ch] += x[s * g.in_size() + in + ch] * inv_count;
      },
      [&](std::size_t total) { std::memset(y, 0, total * sizeof(T)); }, T{});
}

template <class T>
void Window::avg_pool_backward(const WindowGeometry& g, const T* dy, T* dx, std::size_t n) {
  std::memset(dx, 0, n * g.in_size() * sizeof(T));
  window_walk(
      g, n,
      [&](std::size_t s, std::size_t out, std::size_t in, T inv_count) {
        const std::size_t c = g.channels;
        for (std::size_t ch = 0; ch < c; ++ch)
          dx[s * g.in_size() + in + ch] += dy[s * g.out_positions() * c + out * c + ch] * inv_count;
      },
      [](std::size_t) {}, T{});
}

template <class T>
void Window::global_avg_pool_forward(const T* x, T* y, std::size_t pixels, std::size_t channels,
                                     std::size_t n) {
  const T inv = T(1) / T(pixels);
  for (std::size_t s = 0; s < n; ++s) {
    T* out = y + s * channels;
    std::memset(out, 0, channels * sizeof(T));
    const T* img = x + s * pixels * channels;
    for (std::size_t p = 0; p < pixels; ++p)
      for (std::size_t ch = 0; ch < channels; ++ch) out[ch] += img[p * channels + ch];
    for (std::size_t ch = 0; ch < channels; ++ch) out[ch] *= inv;
  }
}

template <class T>
void Window::global_avg_pool_backward(const T* dy, T* dx, std::size_t pixels, std::size_t channels,
                                      std::size_t n) {
  const T inv = T(1) / T(pixels);
  for (std::size_t s = 0; s < n; ++s)
    for (std::size_t p = 0; p < pixels; ++p)
      for (std::size_t ch = 0; ch < channels; ++ch)
        dx[(s * pixels + p) * channels + ch] = dy[s * channels + ch] * inv;
}

#if defined(TG_SEPARATE_COMPILATION)
TG_EXTERN_TEMPLATE void Window::im2col<float>(const WindowGeometry& g, const float* x, float* cols,
                                              std::size_t n);
TG_EXTERN_TEMPLATE void Window::im2col<double>(const WindowGeometry& g, const double* x,
                                               double* cols, std::size_t n);
TG_EXTERN_TEMPLATE void Window::col2im<float>(const WindowGeometry& g, const float* cols, float* dx,
                                              std::size_t n);
TG_EXTERN_TEMPLATE void Window::col2im<double>(const WindowGeometry& g, const double* cols,
                                               double* dx, std::size_t n);
TG_EXTERN_TEMPLATE void Window::max_pool_forward<float>(const WindowGeometry& g, const float* x,
                                                        float* y, std::uint32_t* argmax,
                                                        std::size_t n);
TG_EXTERN_TEMPLATE void Window::max_pool_forward<double>(const WindowGeometry& g, const double* x,
                                                         double* y, std::uint32_t* argmax,
                                                         std::size_t n);
TG_EXTERN_TEMPLATE void Window::max_pool_backward<float>(const WindowGeometry& g, const float* dy,
                                                         const std::uint32_t* argmax, float* dx,
                                                         std::size_t n);
TG_EXTERN_TEMPLATE void Window::max_pool_backward<double>(const WindowGeometry& g, const double* dy,
                                                          const std::uint32_t* argmax, double* dx,
                                                          std::size_t n);
TG_EXTERN_TEMPLATE void Window::avg_pool_forward<float>(const WindowGeometry& g, const float* x,
                                                        float* y, std::size_t n);
TG_EXTERN_TEMPLATE void Window::avg_pool_forward<double>(const WindowGeometry& g, const double* x,
                                                         double* y, std::size_t n);
TG_EXTERN_TEMPLATE void Window::avg_pool_backward<float>(const WindowGeometry& g, const float* dy,
                                                         float* dx, std::size_t n);
TG_EXTERN_TEMPLATE void Window::avg_pool_backward<double>(const WindowGeometry& g, const double* dy,
                                                          double* dx, std::size_t n);
TG_EXTERN_TEMPLATE void Window::global_avg_pool_forward<float>(const float* x, float* y,
                                                               std::size_t pixels,
                                                               std::size_t channels, std::size_t n);
TG_EXTERN_TEMPLATE void Window::global_avg_pool_forward<double>(const double* x, double* y,
                                                                std::size_t pixels,
                                                                std::size_t channels,
                                                                std::size_t n);
TG_EXTERN_TEMPLATE void Window::global_avg_pool_backward<float>(const float* dy, float* dx,
                                                                std::size_t pixels,
                                                                std::size_t channels,
                                                                std::size_t n);
TG_EXTERN_TEMPLATE void Window::global_avg_pool_backward<double>(const double* dy, double* dx,
                                                                 std::size_t pixels,
                                                                 std::size_t channels,
                                                                 std::size_t n);
#endif

}  // namespace tensorguard::cpu
