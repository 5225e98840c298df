#pragma once
#include <cmath>

#include "domain.hpp"

namespace tensorguard {

struct Sigmoid {
  static constexpr const char* name = "Sigmoid";
  static constexpr OutputDomain domain = OutputDomain::unit_interval;
  static constexpr Initializer initializer = Initializer::glorot_uniform;
  static constexpr bool elementwise = true;
  template <class T>
  TG_HOST_DEVICE static T forward(T z) {
    using std::exp;
    // Two branches so that exp never overflows.
    if (z >= T(0)) return T(1) / (T(1) + exp(-z));
    const T e = exp(z);
    return e / (T(1) + e);
  }
  template <class T>
  TG_HOST_DEVICE static T derivative(T, T y) {
    return y * (T(1) - y);
  }
};

}  // namespace tensorguard
