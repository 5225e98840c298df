#pragma once
#include "domain.hpp"

namespace tensorguard {

// Identity: the layer outputs its pre-activations (logits).
struct Linear {
  static constexpr const char* name = "Linear";
  static constexpr OutputDomain domain = OutputDomain::logits;
  static constexpr Initializer initializer = Initializer::glorot_uniform;
  static constexpr bool elementwise = true;
  template <class T>
  TG_HOST_DEVICE static T forward(T z) {
    return z;
  }
  template <class T>
  TG_HOST_DEVICE static T derivative(T, T) {
    return T(1);
  }
};

}  // namespace tensorguard
