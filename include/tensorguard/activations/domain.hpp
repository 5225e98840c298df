// What an activation's outputs are: losses are constrained on this (logits vs probabilities),
// and initialisers are chosen by it (He for the ReLU family, Glorot otherwise).
#pragma once
#include <concepts>

#include "../detail/config.hpp"

namespace tensorguard {

enum class OutputDomain {
  logits,          // Linear: any real value, read as unnormalised scores by from-logits losses
  nonnegative,     // ReLU: [0, inf)
  real,            // LeakyReLU, ELU, GELU: unbounded, not logits of anything
  unit_interval,   // Sigmoid: independent probabilities in (0, 1)
  symmetric_unit,  // Tanh: (-1, 1)
  simplex,         // Softmax: a probability distribution over the last axis
};

enum class Initializer { glorot_uniform, he_normal };

// An activation is a type with a name, its output domain, the initializer it wants for the
// weights before it, and either elementwise forward/derivative functions or elementwise == false
// (Softmax, which the backend computes over the last axis).
template <class A>
concept ActivationFunction = requires {
  { A::name } -> std::convertible_to<const char*>;
  { A::domain } -> std::convertible_to<OutputDomain>;
  { A::initializer } -> std::convertible_to<Initializer>;
  { A::elementwise } -> std::convertible_to<bool>;
};

}  // namespace tensorguard
