// What fit, evaluate and find_learning_rate take and give: options, callbacks, results.
#pragma once
#include <cmath>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "../guards/guard.hpp"
#include "../guards/training_guards.hpp"
#include "../model/checkpoint.hpp"
#include "history.hpp"
#include "progress.hpp"

namespace tensorguard {

// What a callback may ask of fit after an epoch or a step.
struct TrainingControl {
  bool stop = false;
  double learning_rate = 0;  // change it to set the optimizer's rate from the next step on
};

struct Callback {
  std::function<void(const EpochLogs&, TrainingControl&)> on_epoch_end{};
  std::function<void(std::size_t step, double loss, TrainingControl&)> on_batch_end{};
};

template <class D>
struct FitOptions {
  std::size_t epochs = 1;
  std::size_t batch_size = 32;
  bool shuffle = true;
  std::optional<std::reference_wrapper<const D>> validation{};
  Verbosity verbose = Verbosity::automatic;
  std::vector<Callback> callbacks{};
  GuardPolicy guards{};  // levels per guard; GuardPolicy::all(off) disables
  std::optional<EarlyStopping> early_stopping{};  // stop when val_loss stops improving
  std::optional<CheckpointOptions> checkpoint{};  // write the training state as it goes
  std::string resume_from{};                      // a checkpoint to continue from (it must exist)
};

// Smith's learning-rate range test (find_learning_rate): the rate grows exponentially each
// step from `start` to `end` until the loss explodes.
struct LearningRateSearchOptions {
  double start = 1e-7;
  double end = 10.0;
  std::size_t steps = 100;
  std::size_t batch_size = 64;
};
struct LearningRateSearch {
  double suggested = NAN;      // where the smoothed loss falls fastest
  std::vector<double> rates;   // the rate of each step
  std::vector<double> losses;  // the smoothed loss after it
};

struct Evaluation {
  double loss = NAN;
  double accuracy = NAN;  // NaN for regression labels
};

}  // namespace tensorguard
