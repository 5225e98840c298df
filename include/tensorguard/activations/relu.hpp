#pragma once
#include "domain.hpp"

namespace tensorguard {

struct ReLU {
  static constexpr const char* name = "ReLU";
  static constexpr OutputDomain domain = OutputDomain::nonnegative;
  static constexpr Initializer initializer = Initializer::he_normal;
  static constexpr bool elementwise = true;
  static constexpr bool derivative_from_output = true;  // z > 0 exactly when y > 0
  template <class T>
  TG_HOST_DEVICE static T forward(T z) {
    return z > T(0) ? z : T(0);
  }
  template <class T>
  TG_HOST_DEVICE static T derivative(T z, T) {
    return z > T(0) ? T(1) : T(0);
  }
};

}  // namespace tensorguard
