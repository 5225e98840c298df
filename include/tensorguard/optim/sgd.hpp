#pragma once

namespace tensorguard::optim {

// Stochastic gradient descent with optional (Nesterov) momentum, as in Keras.
struct SGD {
  double learning_rate = 0.01;
  double momentum = 0.0;
  bool nesterov = false;
  static constexpr const char* name = "SGD";
  static constexpr int state_arrays = 1;  // velocity
};

}  // namespace tensorguard::optim
