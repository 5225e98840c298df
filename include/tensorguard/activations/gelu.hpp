#pragma once
#include <cmath>

#include "domain.hpp"

namespace tensorguard {

// Exact GELU: z * Phi(z), with Phi the standard normal CDF.
struct GELU {
  static constexpr const char* name = "GELU";
  static constexpr OutputDomain domain = OutputDomain::real;
  static constexpr Initializer initializer = Initializer::he_normal;
  static constexpr bool elementwise = true;
  template <class T>
  TG_HOST_DEVICE static T forward(T z) {
    using std::erf;
    return T(0.5) * z * (T(1) + erf(z * T(0.70710678118654752440)));
  }
  template <class T>
  TG_HOST_DEVICE static T derivative(T z, T) {
    using std::erf;
    using std::exp;
    const T cdf = T(0.5) * (T(1) + erf(z * T(0.70710678118654752440)));
    const T pdf = T(0.39894228040143267794) * exp(T(-0.5) * z * z);
    return cdf + z * pdf;
  }
};

}  // namespace tensorguard
