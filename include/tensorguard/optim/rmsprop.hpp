#pragma once

namespace tensorguard::optim {

// RMSProp (Hinton), uncentred, with optional momentum; Keras's defaults.
struct RMSProp {
  double learning_rate = 1e-3;
  double rho = 0.9;
  double momentum = 0.0;
  double epsilon = 1e-7;
  static constexpr const char* name = "RMSProp";
  static constexpr int state_arrays = 2;  // mean square, momentum
};

}  // namespace tensorguard::optim
