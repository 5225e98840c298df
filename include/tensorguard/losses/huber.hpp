#pragma once
#include <cmath>
#include <ratio>

#include "loss.hpp"

namespace tensorguard::loss {

// Quadratic within Delta of the target, linear beyond: HuberLoss<std::ratio<1>> (Keras default).
template <class Delta = std::ratio<1>>
struct HuberLoss {
  static constexpr const char* name = "Huber";
  static constexpr Family family = Family::regression;
  static constexpr double delta = double(Delta::num) / double(Delta::den);
  static_assert(Delta::num > 0, "HuberLoss<Delta>: Delta must be positive");
  template <class T, class L>
  TG_HOST_DEVICE static T sample(const T* y, const L* t, T* dy, std::size_t w, T scale) {
    using std::abs;
    const T d = T(delta);
    T sum = 0;
    for (std::size_t i = 0; i < w; ++i) {
      const T e = y[i] - T(t[i]);
      const T a = abs(e);
      sum += a <= d ? T(0.5) * e * e : d * (a - T(0.5) * d);
      if (dy) dy[i] = scale * (a <= d ? e : (e > T(0) ? d : -d)) / T(w);
    }
    return sum / T(w);
  }
};
using Huber = HuberLoss<>;

}  // namespace tensorguard::loss
