// An activation the CUDA backend does not ship: a LeakyReLU slope of 1/4 and a softsign.
#pragma once
#include <ratio>
#include <tensorguard/activations/leaky_relu.hpp>
#include <tensorguard/detail/config.hpp>

namespace custom {

using QuarterLeak = tensorguard::LeakyReLU<std::ratio<1, 4>>;

// x / (1 + |x|)
struct Softsign {
  static constexpr const char* name = "Softsign";
  static constexpr tensorguard::OutputDomain domain = tensorguard::OutputDomain::real;
  static constexpr tensorguard::Initializer initializer = tensorguard::Initializer::glorot_uniform;
  static constexpr bool elementwise = true;
  template <class T>
  TG_HOST_DEVICE static T forward(T z) {
    return z / (T(1) + (z < T(0) ? -z : z));
  }
  template <class T>
  TG_HOST_DEVICE static T derivative(T z, T) {
    const T d = T(1) + (z < T(0) ? -z : z);
    return T(1) / (d * d);
  }
};

}  // namespace custom
