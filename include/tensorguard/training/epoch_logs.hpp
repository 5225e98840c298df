// One epoch's numbers, as fit reports them (History::epochs, callbacks, GuardStop::epochs).
#pragma once
#include <cmath>
#include <cstddef>

namespace tensorguard {

struct EpochLogs {
  std::size_t epoch = 0;  // 1-based
  double loss = NAN, accuracy = NAN;
  double val_loss = NAN, val_accuracy = NAN;  // NaN without validation data
  double seconds = 0;
  double learning_rate = 0;
  std::size_t steps = 0;
};

}  // namespace tensorguard
