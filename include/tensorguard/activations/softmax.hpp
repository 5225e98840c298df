#pragma once
#include "domain.hpp"

namespace tensorguard {

// Softmax over the last axis (the features of a rank-1 tensor, the channels of an image).
// Not elementwise: backends provide softmax_forward/softmax_backward.
struct Softmax {
  static constexpr const char* name = "Softmax";
  static constexpr OutputDomain domain = OutputDomain::simplex;
  static constexpr Initializer initializer = Initializer::glorot_uniform;
  static constexpr bool elementwise = false;
};

}  // namespace tensorguard
