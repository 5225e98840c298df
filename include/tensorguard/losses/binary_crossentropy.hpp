#pragma once
#include <cmath>

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
    using std::exp;
    T sum = 0;
    for (std::size_t i = 0; i < w; ++i) {
      const T target = T(t[i]);
      sum += detail::softplus(z[i]) - target * z[i];
      if (dy) {
        const T p = z[i] >= T(0) ? T(1) / (T(1) + exp(-z[i])) : exp(z[i]) / (T(1) + exp(z[i]));
        dy[i] = scale * (p - target) / T(w);
      }
    }
    return sum / T(w);
  }
};

}  // namespace tensorguard::loss
