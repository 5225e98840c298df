#pragma once
#include <cmath>

#include "loss.hpp"

namespace tensorguard::loss {

// mean over outputs of |y - t| (subgradient 0 at y == t)
struct MeanAbsoluteError {
  static constexpr const char* name = "MeanAbsoluteError";
  static constexpr Family family = Family::regression;
  template <class T, class L>
  TG_HOST_DEVICE static T sample(const T* y, const L* t, T* dy, std::size_t w, T scale) {
    using std::abs;
    T sum = 0;
    for (std::size_t i = 0; i < w; ++i) {
      const T e = y[i] - T(t[i]);
      sum += abs(e);
      if (dy) dy[i] = scale * (e > T(0) ? T(1) : (e < T(0) ? T(-1) : T(0))) / T(w);
    }
    return sum / T(w);
  }
};

}  // namespace tensorguard::loss
