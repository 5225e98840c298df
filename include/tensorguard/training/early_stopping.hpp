// The best epoch's weights for early stopping (Keras's EarlyStopping with
// restore_best_weights), kept where the model's weights are: a device copy, no host read.
#pragma once
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "../detail/config.hpp"
#include "../guards/training_guards.hpp"
#include "history.hpp"
#include "metrics.hpp"

namespace tensorguard::detail {

// Accuracy and the fractions of metrics.hpp are better higher; losses and errors lower.
inline bool higher_is_better(std::string_view name) {
  for (const char* word : {"accuracy", "auc", "precision", "recall", "f1"})
    if (name.find(word) != std::string_view::npos) return true;
  return false;
}

// EarlyStopping::monitor must name something fit reports.
#if TG_HEADER_DEFINITIONS
TG_OUT_OF_LINE void check_monitor(const std::string& monitor, const std::vector<Metric>& metrics,
                                  std::size_t classes, bool has_accuracy) {
  const std::string_view base =
      monitor.starts_with("val_") ? std::string_view(monitor).substr(4) : std::string_view(monitor);
  bool known = base == "loss" || (base == "accuracy" && has_accuracy);
  std::string names = has_accuracy ? "loss, accuracy" : "loss";
  for (Metric m : metrics) {
    if (m == Metric::per_class_recall) {
      for (std::size_t k = 0; k < classes; ++k) {
        known = known || base == "recall_" + std::to_string(k);
        names += ", recall_" + std::to_string(k);
      }
    } else {
      known = known || base == metric_name(m);
      names += std::string(", ") + metric_name(m);
    }
  }
  if (!known)
    throw std::invalid_argument("fit: EarlyStopping::monitor is '" + monitor +
                                "', which this fit does not report; it reports " + names +
                                " (and val_ of each with validation data)");
}
#else
void check_monitor(const std::string& monitor, const std::vector<Metric>& metrics,
                   std::size_t classes, bool has_accuracy);
#endif

template <class Buffer>
struct BestWeights {
  double score = INFINITY;
  std::size_t epoch = 0, waited = 0;
  Buffer params, state;

  // After each epoch: true when the patience has run out. `score` is the monitored value (a
  // val_ one falls back to its training twin without validation data).
  template <class Backend>
  bool observe(Backend& backend, const Buffer& model_params, const Buffer& model_state,
               const EpochLogs& logs, const EarlyStopping& rule) {
    double value = logs.get(rule.monitor);
    if (std::isnan(value) && rule.monitor.starts_with("val_"))
      value = logs.get(std::string_view(rule.monitor).substr(4));
    const bool higher = higher_is_better(rule.monitor);
    const bool improved =
        !std::isnan(value) &&
        (epoch == 0 || (higher ? value > score + rule.min_delta : value < score - rule.min_delta));
    if (improved) {
      score = value, epoch = logs.epoch, waited = 0;
      copy(backend, model_params, params);
      copy(backend, model_state, state);
      return false;
    }
    return ++waited >= rule.patience;
  }
  template <class Backend>
  void restore(Backend& backend, Buffer& model_params, Buffer& model_state) const {
    if (epoch == 0) return;
    backend.copy(params.data(), model_params.data(), model_params.size());
    backend.copy(state.data(), model_state.data(), model_state.size());
  }

 private:
  template <class Backend>
  static void copy(Backend& backend, const Buffer& from, Buffer& to) {
    to.resize(from.size());
    backend.copy(from.data(), to.data(), from.size());
  }
};

}  // namespace tensorguard::detail
