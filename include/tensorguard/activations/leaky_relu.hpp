#pragma once
#include <ratio>

#include "domain.hpp"

namespace tensorguard {

// max(z, alpha z); Alpha is a std::ratio so that it is a compile-time constant (default 0.01).
template <class Alpha = std::ratio<1, 100>>
struct LeakyReLU {
  static constexpr const char* name = "LeakyReLU";
  static constexpr OutputDomain domain = OutputDomain::real;
  static constexpr Initializer initializer = Initializer::he_normal;
  static constexpr bool elementwise = true;
  static constexpr double alpha = static_cast<double>(Alpha::num) / static_cast<double>(Alpha::den);
  static constexpr bool derivative_from_output = alpha >= 0;  // then z > 0 exactly when y > 0
  template <class T>
  TG_HOST_DEVICE static T forward(T z) {
    return z > T(0) ? z : T(alpha) * z;
  }
  template <class T>
  TG_HOST_DEVICE static T derivative(T z, T) {
    return z > T(0) ? T(1) : T(alpha);
  }
};

}  // namespace tensorguard
