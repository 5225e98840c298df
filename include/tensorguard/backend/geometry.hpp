// Geometry of windowed operations (convolution, pooling) over NHWC images, shared by backends.
#pragma once
#include <cstddef>

#include "../detail/config.hpp"

namespace tensorguard {

enum class Padding { valid, same };

struct WindowGeometry {
  std::size_t in_h, in_w, channels;
  std::size_t kernel_h, kernel_w;
  std::size_t stride_h, stride_w;
  std::size_t pad_top, pad_left;
  std::size_t out_h, out_w;

  TG_HOST_DEVICE constexpr std::size_t in_size() const { return in_h * in_w * channels; }
  TG_HOST_DEVICE constexpr std::size_t out_positions() const { return out_h * out_w; }
  TG_HOST_DEVICE constexpr std::size_t patch_size() const { return kernel_h * kernel_w * channels; }
};

// Output extent along one axis, as TensorFlow defines it.
constexpr std::size_t window_output_extent(std::size_t in, std::size_t kernel, std::size_t stride,
                                           Padding padding) {
  if (stride == 0) return 0;
  if (padding == Padding::same) return (in + stride - 1) / stride;
  return in >= kernel ? (in - kernel) / stride + 1 : 0;
}

// Padding before the first element (TensorFlow puts the odd extra pixel after).
constexpr std::size_t window_padding_before(std::size_t in, std::size_t kernel, std::size_t stride,
                                            Padding padding) {
  if (padding == Padding::valid) return 0;
  const std::size_t out = window_output_extent(in, kernel, stride, padding);
  const std::size_t needed = (out - 1) * stride + kernel;
  return needed > in ? (needed - in) / 2 : 0;
}

constexpr WindowGeometry make_window_geometry(std::size_t h, std::size_t w, std::size_t c,
                                              std::size_t kh, std::size_t kw, std::size_t sh,
                                              std::size_t sw, Padding padding) {
  return WindowGeometry{h,
                        w,
                        c,
                        kh,
                        kw,
                        sh,
                        sw,
                        window_padding_before(h, kh, sh, padding),
                        window_padding_before(w, kw, sw, padding),
                        window_output_extent(h, kh, sh, padding),
                        window_output_extent(w, kw, sw, padding)};
}

}  // namespace tensorguard
