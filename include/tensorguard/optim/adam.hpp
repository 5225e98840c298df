#pragma once

namespace tensorguard::optim {

// Adam with bias correction (Kingma & Ba, 2015); Keras's defaults.
struct Adam {
  double learning_rate = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double epsilon = 1e-7;
  static constexpr const char* name = "Adam";
  static constexpr int state_arrays = 2;  // first and second moments
};

}  // namespace tensorguard::optim
