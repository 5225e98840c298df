#pragma once
#include <cmath>
#include <ratio>

#include "domain.hpp"

namespace tensorguard {

// z for z > 0, alpha (e^z - 1) otherwise (default alpha 1).
template <class Alpha = std::ratio<1>>
struct ELU {
  static constexpr const char* name = "ELU";
  static constexpr OutputDomain domain = OutputDomain::real;
  static constexpr Initializer initializer = Initializer::he_normal;
  static constexpr bool elementwise = true;
  static constexpr double alpha = static_cast<double>(Alpha::num) / static_cast<double>(Alpha::den);
  static constexpr bool derivative_from_output = alpha > 0;  // then z > 0 exactly when y > 0
  template <class T>
  TG_HOST_DEVICE static T forward(T z) {
    using std::expm1;
    return z > T(0) ? z : T(alpha) * expm1(z);
  }
  template <class T>
  TG_HOST_DEVICE static T derivative(T z, T y) {
    return z > T(0) ? T(1) : y + T(alpha);
  }
};

}  // namespace tensorguard
