#pragma once

namespace tensorguard::optim {

// Adam with decoupled weight decay (Loshchilov & Hutter, 2019): p -= lr * wd * p each step.
struct AdamW {
  double learning_rate = 1e-3;
  double weight_decay = 4e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double epsilon = 1e-7;
  static constexpr const char* name = "AdamW";
  static constexpr int state_arrays = 2;
};

}  // namespace tensorguard::optim
