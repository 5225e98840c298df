// Image augmentation applied by fit to each training batch (FitOptions::augment): random flips,
// shifts and crops with padding, drawn from the model's generator, so a seed repeats a run.
#pragma once
#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include "../core/random.hpp"
#include "../detail/config.hpp"

namespace tensorguard {

struct Augmentation {
  bool flip_horizontal = false;  // mirror left-right with probability 1/2
  bool flip_vertical = false;    // mirror top-bottom with probability 1/2
  // Move the image by up to this many pixels along each axis (uniform, independently), filling
  // the uncovered border by reflection (Keras's RandomTranslation, fill_mode "reflect").
  std::size_t shift_pixels = 0;
  // Pad with this many zero pixels on every side and crop back to the image size at a random
  // offset (the CIFAR recipe: torchvision's RandomCrop(size, padding)).
  std::size_t crop_padding = 0;

  bool any() const {
    return flip_horizontal || flip_vertical || shift_pixels > 0 || crop_padding > 0;
  }
};

namespace detail {

// Applies `a` to `count` images of height x width x channels (row-major, channels last) in place;
// `scratch` holds one image. Each image draws its own flips and offsets from `rng`, in a fixed
// order (flips, then shift, then crop), so the same generator state gives the same batch.
template <class T>
void augment_images(T* images, std::size_t count, std::size_t height, std::size_t width,
                    std::size_t channels, const Augmentation& a, Rng& rng,
                    std::vector<T>& scratch) {
  const std::size_t row = width * channels, size = height * row;
  scratch.resize(size);
  // out(y, x) = in(source(y), source(x)), or 0 where the source is outside (source returns -1).
  auto remap = [&](T* img, auto&& source_y, auto&& source_x) {
    std::copy_n(img, size, scratch.data());
    for (std::size_t y = 0; y < height; ++y) {
      const long sy = source_y(long(y));
      for (std::size_t x = 0; x < width; ++x) {
        const long sx = source_x(long(x));
        T* out = img + y * row + x * channels;
        if (sy < 0 || sx < 0)
          std::fill_n(out, channels, T(0));
        else
          std::copy_n(scratch.data() + std::size_t(sy) * row + std::size_t(sx) * channels, channels,
                      out);
      }
    }
  };
  auto offset = [&](std::size_t limit) { return long(rng.below(2 * limit + 1)) - long(limit); };
  // Reflection without repeating the edge (as numpy's "reflect"), for shifts smaller than the side.
  auto reflect = [](long i, long n) {
    if (n == 1) return 0L;
    const long period = 2 * (n - 1);
    i %= period;
    if (i < 0) i += period;
    return i < n ? i : period - i;
  };
  const long h = long(height), w = long(width);
  for (std::size_t s = 0; s < count; ++s) {
    T* img = images + s * size;
    const bool flip_x = a.flip_horizontal && rng.below(2) == 1;
    const bool flip_y = a.flip_vertical && rng.below(2) == 1;
    if (flip_x || flip_y)
      remap(
          img, [&](long y) { return flip_y ? h - 1 - y : y; },
          [&](long x) { return flip_x ? w - 1 - x : x; });
    if (a.shift_pixels > 0) {
      const long dy = offset(a.shift_pixels), dx = offset(a.shift_pixels);
      if (dy || dx)
        remap(
            img, [&](long y) { return reflect(y - dy, h); },
            [&](long x) { return reflect(x - dx, w); });
    }
    if (a.crop_padding > 0) {
      const long dy = offset(a.crop_padding), dx = offset(a.crop_padding);
      if (dy || dx)
        remap(
            img, [&](long y) { return y - dy >= 0 && y - dy < h ? y - dy : -1; },
            [&](long x) { return x - dx >= 0 && x - dx < w ? x - dx : -1; });
    }
  }
}

// Refuses augmentation that cannot apply to inputs of this shape.
template <class S>
void check_augmentation(const Augmentation& a) {
  if (!a.any()) return;
  if constexpr (S::rank != 3) {
    throw std::invalid_argument(
        "fit: FitOptions::augment flips and shifts images, but the inputs are " + S::to_string() +
        "; give images as Shape<height, width, channels> (Reshape inside the model is not "
        "enough: the data itself must have the image shape)");
  } else {
    const std::size_t h = S::dims[0], w = S::dims[1];
    if (a.shift_pixels >= std::min(h, w) || a.crop_padding >= std::min(h, w))
      throw std::invalid_argument("fit: FitOptions::augment moves images by up to " +
                                  std::to_string(std::max(a.shift_pixels, a.crop_padding)) +
                                  " pixels, but they are " + std::to_string(h) + " x " +
                                  std::to_string(w) + "; use a shift smaller than the image");
  }
}

#if defined(TG_SEPARATE_COMPILATION)
TG_EXTERN_TEMPLATE void augment_images<float>(float*, std::size_t, std::size_t, std::size_t,
                                              std::size_t, const Augmentation&, Rng&,
                                              std::vector<float>&);
TG_EXTERN_TEMPLATE void augment_images<double>(double*, std::size_t, std::size_t, std::size_t,
                                               std::size_t, const Augmentation&, Rng&,
                                               std::vector<double>&);
#endif

}  // namespace detail
}  // namespace tensorguard
