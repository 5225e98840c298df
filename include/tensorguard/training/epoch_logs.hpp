// One epoch's numbers, as fit reports them (History::epochs, callbacks, GuardStop::epochs).
#pragma once
#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace tensorguard {

// A metric chosen in FitOptions::metrics, over the epoch's training batches and over the
// validation data (NaN without it).
struct MetricValue {
  std::string name;  // as the progress line and the history CSV name it: "mae", "f1", ...
  double value = NAN;
  double val_value = NAN;
};

struct EpochLogs {
  std::size_t epoch = 0;  // 1-based
  double loss = NAN, accuracy = NAN;
  double val_loss = NAN, val_accuracy = NAN;  // NaN without validation data
  double seconds = 0;
  double learning_rate = 0;
  std::size_t steps = 0;
  std::vector<MetricValue> metrics{};  // FitOptions::metrics, in the order given

  // A value by the name the history CSV gives it: "loss", "val_accuracy", "mae", "val_f1", ...;
  // NaN when this epoch has none of that name.
  double get(std::string_view name) const {
    const bool val = name.starts_with("val_");
    const std::string_view base = val ? name.substr(4) : name;
    if (base == "loss") return val ? val_loss : loss;
    if (base == "accuracy") return val ? val_accuracy : accuracy;
    if (!val && name == "learning_rate") return learning_rate;
    for (const auto& m : metrics)
      if (m.name == base) return val ? m.val_value : m.value;
    return NAN;
  }
};

}  // namespace tensorguard
