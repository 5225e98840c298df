// Fashion-MNIST (Xiao et al., 2017) from the IDX files of Debian's dataset-fashion-mnist.
#pragma once
#include <cstdlib>
#include <filesystem>
#include <utility>

#include "dataset.hpp"
#include "idx.hpp"

namespace tensorguard::data {

inline constexpr const char* fashion_mnist_directory = "/usr/share/datasets/fashion-mnist";

using FashionMnist = Dataset<Shape<28, 28, 1>, ClassIndex<10>>;

struct FashionMnistOptions {
  std::string directory = fashion_mnist_directory;  // TG_FASHION_MNIST overrides the default
  double pixel_scale = 1.0 / 255.0;                 // 1.0 keeps raw 0-255 pixels
};

namespace detail {
#if TG_HEADER_DEFINITIONS
TG_OUT_OF_LINE std::string find_idx(const std::string& dir, const std::string& stem) {
  for (const char* ext : {".gz", ""}) {
    const std::string p = dir + "/" + stem + ext;
    if (std::filesystem::exists(p)) return p;
  }
  throw std::runtime_error("fashion_mnist: no '" + stem + "[.gz]' in '" + dir +
                           "'; install it with: apt-get install dataset-fashion-mnist");
}
#else
std::string find_idx(const std::string& dir, const std::string& stem);
#endif
}  // namespace detail

// {training (60,000), test (10,000)}, pixels in [0, 1] unless options say otherwise.
template <class T = float>
std::pair<Dataset<Shape<28, 28, 1>, ClassIndex<10>, T>,
          Dataset<Shape<28, 28, 1>, ClassIndex<10>, T>>
fashion_mnist(FashionMnistOptions options = {}) {
  if (const char* env = std::getenv("TG_FASHION_MNIST");
      env && options.directory == fashion_mnist_directory)
    options.directory = env;
  using S = Shape<28, 28, 1>;
  auto load = [&](const char* images, const char* labels) {
    return Dataset<S, ClassIndex<10>, T>(
        read_idx_samples<S, T>(detail::find_idx(options.directory, images), options.pixel_scale),
        read_idx_class_labels<ClassIndex<10>>(detail::find_idx(options.directory, labels)));
  };
  return {load("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
          load("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")};
}

}  // namespace tensorguard::data
