#pragma once
#include <cmath>

#include "categorical_crossentropy.hpp"

namespace tensorguard::loss {

// -log p[label] with an integer class label; p are Softmax probabilities.
struct SparseCategoricalCrossentropy {
  static constexpr const char* name = "SparseCategoricalCrossentropy";
  static constexpr Family family = Family::sparse_categorical;
  template <class T, class L>
  TG_HOST_DEVICE static T sample(const T* y, const L* t, T* dy, std::size_t w, T scale) {
    using std::log;
    const std::size_t label = std::size_t(t[0]);
    const T p = detail::clip_probability(y[label]);
    if (dy) {
      for (std::size_t i = 0; i < w; ++i) dy[i] = T(0);
      dy[label] = p != y[label] ? T(0) : -scale / p;
    }
    return -log(p);
  }
};

// From logits: lse(z) - z[label]; gradient softmax(z) - onehot(label).
template <>
struct FromLogits<SparseCategoricalCrossentropy> {
  static constexpr const char* name = "FromLogits<SparseCategoricalCrossentropy>";
  static constexpr Family family = Family::sparse_categorical;
  template <class T, class L>
  TG_HOST_DEVICE static T sample(const T* z, const L* t, T* dy, std::size_t w, T scale) {
    using std::exp;
    const std::size_t label = std::size_t(t[0]);
    const T lse = detail::log_sum_exp(z, w);
    if (dy) {
      for (std::size_t i = 0; i < w; ++i) dy[i] = scale * exp(z[i] - lse);
      dy[label] -= scale;
    }
    return lse - z[label];
  }
};

}  // namespace tensorguard::loss
