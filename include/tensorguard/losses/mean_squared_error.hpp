#pragma once
#include "loss.hpp"

namespace tensorguard::loss {

// mean over outputs of (y - t)^2
struct MeanSquaredError {
  static constexpr const char* name = "MeanSquaredError";
  static constexpr Family family = Family::regression;
  template <class T, class L>
  TG_HOST_DEVICE static T sample(const T* y, const L* t, T* dy, std::size_t w, T scale) {
    T sum = 0;
    for (std::size_t i = 0; i < w; ++i) {
      const T e = y[i] - T(t[i]);
      sum += e * e;
      if (dy) dy[i] = scale * T(2) * e / T(w);
    }
    return sum / T(w);
  }
};

}  // namespace tensorguard::loss
