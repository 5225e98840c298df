// The best epoch's weights for early stopping (Keras's EarlyStopping with
// restore_best_weights), kept where the model's weights are: a device copy, no host read.
#pragma once
#include <cmath>
#include <cstddef>

#include "../guards/training_guards.hpp"
#include "history.hpp"

namespace tensorguard::detail {

template <class Buffer>
struct BestWeights {
  double score = INFINITY;
  std::size_t epoch = 0, waited = 0;
  Buffer params, state;

  // After each epoch: true when the patience has run out.
  template <class Backend>
  bool observe(Backend& backend, const Buffer& model_params, const Buffer& model_state,
               const EpochLogs& logs, const EarlyStopping& rule) {
    const double value = std::isnan(logs.val_loss) ? logs.loss : logs.val_loss;
    if (value < score - rule.min_delta) {
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
