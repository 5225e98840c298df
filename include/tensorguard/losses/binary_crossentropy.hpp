#pragma once
#include <cmath>

#include "../activations/sigmoid.hpp"
#include "loss.hpp"

namespace tensorguard::loss {

// -(t log p + (1 - t) log(1 - p)), mean over outputs; p are probabilities (Sigmoid outputs).
struct BinaryCrossentropy {
  static constexpr const char* name = "BinaryCrossentropy";
  static constexpr Family family = Family::binary;
  template <class T, class L>
  TG_HOST_DEVICE static T sample(const T* y, const L* t, T* dy, std::size_t w, T scale) {
    using std::log;
    T sum = 0;
    for (std::size_t i = 0; i < w; ++i) {
      const T p = detail::clip_probability(y[i]);
      const T target = T(t[i]);
      sum -= target * log(p) + (T(1) - target) * log(T(1) - p);
      if (dy) {
        const bool clipped = p != y[i];
        dy[i] = clipped ? T(0) : scale * (p - target) / (p * (T(1) - p)) / T(w);
      }
    }
    return sum / T(w);
  }
};

// From logits z: softplus(z) - t z, gradient sigmoid(z) - t. Stable for any z.
template <>
struct FromLogits<BinaryCrossentropy> {
  static constexpr const char* name = "FromLogits<BinaryCrossentropy>";
  static constexpr Family family = Family::binary;
  template <class T, class L>
  TG_HOST_DEVICE static T sample(const T* z, const L* t, T* dy, std::size_t w, T scale) {
    T sum = 0;
    for (std::size_t i = 0; i < w; ++i) {
      const T target = T(t[i]);
      sum += detail::softplus(z[i]) - target * z[i];
      if (dy) {
        dy[i] = scale * (Sigmoid::forward(z[i]) - target) / T(w);
      }
    }
    return sum / T(w);
  }
};

}  // namespace tensorguard::loss
