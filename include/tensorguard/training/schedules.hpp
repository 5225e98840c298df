// Learning-rate schedules as objects, as Keras users know them. Each converts to a Callback, so
// it goes where callbacks go: fit(train, {.callbacks = {tg::CosineDecay{.initial = 1e-3,
// .total_steps = 5000, .warmup_steps = 200}}}). Step schedules count the steps of that fit
// call; epoch schedules use EpochLogs::epoch (1-based, so a resumed run continues the curve).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <iostream>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>

#include "fit_options.hpp"

namespace tensorguard {

namespace detail {
inline void require_schedule(bool ok, const char* schedule, const std::string& what) {
  if (!ok) throw std::invalid_argument(std::string(schedule) + ": " + what);
}
// A callback that sets the rate before the first step and after each step from rate(step).
template <class Rate>
Callback per_step(Rate rate) {
  auto step = std::make_shared<std::size_t>(0);
  return Callback{
      .on_batch_end = [rate, step](std::size_t, double,
                                   TrainingControl& c) { c.learning_rate = rate(++*step); },
      .on_train_begin =
          [rate, step](TrainingControl& c) {
            *step = 0;
            c.learning_rate = rate(0);
          }};
}
}  // namespace detail

// initial x factor^floor((epoch - 1) / every_epochs): epochs 1..every at `initial`, then less.
struct StepDecay {
  double initial = 1e-3;
  double factor = 0.5;
  std::size_t every_epochs = 10;

  double at_epoch(std::size_t epoch) const {
    return initial * std::pow(factor, double((std::max<std::size_t>(epoch, 1) - 1) / every_epochs));
  }
  operator Callback() const {
    detail::require_schedule(initial > 0 && factor > 0 && every_epochs > 0, "StepDecay",
                             "initial and factor must be positive and every_epochs at least 1");
    const StepDecay s = *this;
    return Callback{
        .on_epoch_end = [s](const EpochLogs& logs,
                            TrainingControl& c) { c.learning_rate = s.at_epoch(logs.epoch + 1); },
        .on_train_begin = [s](TrainingControl& c) { c.learning_rate = s.at_epoch(c.epoch); }};
  }
};

// initial x rate^(step / steps), continuous, or in stairs with `staircase` (Keras's
// ExponentialDecay). Step 0 is the first step of the fit call.
struct ExponentialDecay {
  double initial = 1e-3;
  double rate = 0.96;
  std::size_t steps = 1000;
  bool staircase = false;

  double at_step(std::size_t step) const {
    const double p = double(step) / double(steps);
    return initial * std::pow(rate, staircase ? std::floor(p) : p);
  }
  operator Callback() const {
    detail::require_schedule(initial > 0 && rate > 0 && steps > 0, "ExponentialDecay",
                             "initial and rate must be positive and steps at least 1");
    const ExponentialDecay s = *this;
    return detail::per_step([s](std::size_t step) { return s.at_step(step); });
  }
};

// A linear warm-up from initial / warmup_steps to `initial` over warmup_steps, then a cosine
// from `initial` down to initial x final_fraction at total_steps, and that floor after it.
struct CosineDecay {
  double initial = 1e-3;
  std::size_t total_steps = 0;
  std::size_t warmup_steps = 0;
  double final_fraction = 0.0;

  double at_step(std::size_t step) const {
    if (step < warmup_steps) return initial * double(step + 1) / double(warmup_steps);
    const double span = double(total_steps - warmup_steps);
    const double t = std::min(1.0, double(step - warmup_steps) / span);
    const double cosine = 0.5 * (1 + std::cos(3.14159265358979323846 * t));
    return initial * (final_fraction + (1 - final_fraction) * cosine);
  }
  operator Callback() const {
    detail::require_schedule(
        initial > 0 && total_steps > warmup_steps && final_fraction >= 0 && final_fraction <= 1,
        "CosineDecay",
        "initial must be positive, total_steps larger than warmup_steps "
        "(total_steps = epochs x steps per epoch) and final_fraction in "
        "[0, 1]");
    const CosineDecay s = *this;
    return detail::per_step([s](std::size_t step) { return s.at_step(step); });
  }
};

// Keras's ReduceLROnPlateau: when val_loss (the training loss without validation data) has not
// improved by more than min_delta for `patience` epochs, multiply the rate by `factor`, not
// below min_rate, then wait `cooldown` epochs before watching again. Says so unless `quiet`.
struct ReduceOnPlateau {
  double factor = 0.1;
  std::size_t patience = 10;
  double min_delta = 1e-4;
  double min_rate = 0.0;
  std::size_t cooldown = 0;
  bool quiet = false;

  operator Callback() const {
    detail::require_schedule(factor > 0 && factor < 1, "ReduceOnPlateau",
                             "factor must lie in (0, 1)");
    struct State {
      double best = std::numeric_limits<double>::infinity();
      std::size_t waited = 0, cooling = 0;
    };
    auto state = std::make_shared<State>();
    const ReduceOnPlateau s = *this;
    return Callback{.on_epoch_end =
                        [s, state](const EpochLogs& logs, TrainingControl& c) {
                          const bool validated = !std::isnan(logs.val_loss);
                          const double value = validated ? logs.val_loss : logs.loss;
                          if (value < state->best - s.min_delta) {
                            state->best = value;
                            state->waited = 0;
                            return;
                          }
                          if (state->cooling > 0) {
                            --state->cooling;
                            return;
                          }
                          if (++state->waited < s.patience) return;
                          const double reduced = std::max(c.learning_rate * s.factor, s.min_rate);
                          if (reduced < c.learning_rate && !s.quiet)
                            std::cout << "ReduceOnPlateau after epoch " << logs.epoch << ": "
                                      << (validated ? "val_loss" : "loss")
                                      << " has not improved on " << state->best << " for "
                                      << state->waited << " epochs; learning rate "
                                      << c.learning_rate << " -> " << reduced << '\n';
                          c.learning_rate = reduced;
                          state->waited = 0;
                          state->cooling = s.cooldown;
                        },
                    .on_train_begin = [state](TrainingControl&) { *state = State{}; }};
  }
};

}  // namespace tensorguard
