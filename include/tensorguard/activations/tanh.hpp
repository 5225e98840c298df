#pragma once
#include <cmath>

#include "domain.hpp"

namespace tensorguard {

struct Tanh {
  static constexpr const char* name = "Tanh";
  static constexpr OutputDomain domain = OutputDomain::symmetric_unit;
  static constexpr Initializer initializer = Initializer::glorot_uniform;
  static constexpr bool elementwise = true;
  static constexpr bool derivative_from_output = true;  // 1 - y^2
  template <class T>
  TG_HOST_DEVICE static T forward(T z) {
    using std::tanh;
    return tanh(z);
  }
  template <class T>
  TG_HOST_DEVICE static T derivative(T, T y) {
    return T(1) - y * y;
  }
};

}  // namespace tensorguard
