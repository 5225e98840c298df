// Guards on training: statistics computed inside the training step. The loss is judged every
// step (free); gradients, update sizes and activations every GuardPolicy::sample_every steps,
// which keeps the guards cheap enough to stay on.
#pragma once
#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "../detail/config.hpp"
#include "guard.hpp"

namespace tensorguard {

// fit's built-in early stopping (Keras's EarlyStopping with restore_best_weights).
struct EarlyStopping {
  std::size_t patience = 3;  // epochs without improvement of `monitor`
  double min_delta = 0.0;    // smaller improvements do not count
  bool restore_best_weights = true;
  // What is watched: val_loss (loss without validation data), or loss, accuracy or a metric of
  // FitOptions::metrics by name ("val_auc", "val_recall_1", ...). Accuracy, AUC, precision,
  // recall and F1 are better higher; losses, MAE and RMSE lower.
  std::string monitor = "val_loss";
};

namespace detail {

enum class WatchedActivation { none, relu, sigmoid, tanh };

struct TrainingThresholds {
  static constexpr double divergence_factor = 10.0;  // loss above 10x the first loss
  static constexpr std::size_t rising_steps =
      5;  // or its moving average rising 5 steps to 2x its low
  static constexpr double low_update_ratio = 1e-4;  // TheDeepChecker: |dW| / |W| below 1e-4
  static constexpr double stagnant_improvement = 0.01;
  static constexpr double stagnant_rise = 0.05;  // a loss rising more than 5% is not "stalled"
  static constexpr std::size_t stagnation_window = 50;
  static constexpr double exploding_ratio = 70.0;  // AUTOTRAINER: |g_first| / |g_last| > 70
  static constexpr double vanishing_ratio = 1e-3, vanishing_first = 1e-4;
  // Or a spike: 100x the median of the last 20 sampled steps.
  static constexpr double gradient_spike = 100.0;
  static constexpr std::size_t gradient_history = 20;
  static constexpr double dead_fraction = 0.7;        // >= 70% of ReLU units never active
  static constexpr double first_loss_factor = 3.0;    // first loss >= 3 ln K
  static constexpr std::size_t overfit_patience = 5;  // 5-epoch averages, 5 epochs apart
  static constexpr double overfit_noise = 3.0;        // rise > 3x the epoch-to-epoch spread
  static constexpr double overfit_relative = 0.05;    // and > 5% of the best val_loss
  static constexpr double saturated_fraction = 0.5;   // > 50% of outputs saturated (|z| > 5)
  // No signal: after 500 steps, 5 epochs within [0.98, 1.1] of the constant prediction's loss.
  static constexpr std::size_t no_signal_epochs = 5, no_signal_steps = 500;
  static constexpr double no_signal_fall = 0.03;  // and not falling 3% over those epochs
  // A divergence within 500 steps of a rise in the learning rate blames the rise.
  static constexpr std::size_t recent_change_steps = 500;
  static constexpr double no_signal_band = 0.02;
};

class TrainingMonitor {
 public:
  TrainingMonitor(GuardSink& sink, double expected_first_loss, std::string optimizer,
                  double learning_rate)
      : sink_(sink),
        expected_first_(expected_first_loss),
        optimizer_(std::move(optimizer)),
        lr_(learning_rate) {
    window_.reserve(TrainingThresholds::stagnation_window);
    update_ratios_.reserve(TrainingThresholds::stagnation_window);
  }

  bool sampling(std::size_t global_step) const {
    return global_step % sink_.policy().sample_every == 0;
  }
  // The update ratio needs a copy of the weights: measured on one sampled step in five, still
  // five times per 50-step stagnation window with the default sampling.
  bool sampling_updates(std::size_t global_step) const {
    return global_step % (5 * sink_.policy().sample_every) == 0;
  }
  // A change by a callback or schedule: remembered so that a divergence soon after blames it.
  void set_learning_rate(double lr) {
    if (lr == lr_) return;
    previous_lr_ = lr_, lr_ = lr;
    lr_changed_at_ = steps_, lr_changed_epoch_ = current_epoch_;
  }
  // The loss of the best constant prediction for the training labels (TG-TRAIN-NO-SIGNAL).
  // what: how that prediction is made, for the message ("predicting the targets' mean ...").
  // on_validation: that prediction's loss on the validation data (NaN without).
  void set_constant_prediction(double loss, double on_validation, std::string what) {
    constant_loss_ = loss;
    constant_val_loss_ = on_validation;
    constant_what_ = std::move(what);
  }

  // Every step: the mean batch loss.
  void loss(std::size_t epoch, std::size_t step, double value);

  // Sampled steps: RMS gradient of the first and last parameterised layers.
  void gradients(std::size_t epoch, std::size_t step, double first_rms, double last_rms,
                 const std::string& first_layer, const std::string& last_layer);

  // Sampled steps: |W_after - W_before| / |W_before| of the whole model.
  void update_ratio(double ratio) { update_ratios_.push_back(ratio); }

  // Sampled steps: what the backend counted over one layer's `count` outputs (`last` values on
  // the last axis): for ReLU, a flag per unit that was active (counts[0..last)); for Sigmoid and
  // Tanh, the number of saturated outputs (counts[0]; saturation_bounds gives the band).
  void activations(std::size_t layer, const std::string& name, WatchedActivation kind,
                   const double* counts, std::size_t count, std::size_t last);
  // |z| > 5: sigmoid outside (0.0067, 0.9933), tanh beyond 0.99991.
  static std::pair<double, double> saturation_bounds(WatchedActivation kind) {
    return kind == WatchedActivation::sigmoid ? std::pair{0.0066929, 0.9933071}
                                              : std::pair{-0.9999092, 0.9999092};
  }

  // A resumed fit: the epochs before the checkpoint, so epoch-level rules see the whole run,
  // and the first loss of the run (NaN when unknown), without judging them again.
  void replay_epoch(std::size_t epoch, double train_loss, double val_loss) {
    epoch_losses_.push_back(train_loss);
    epoch_steps_.push_back(steps_);
    if (!std::isnan(val_loss)) record_validation(epoch, train_loss, val_loss);
  }
  void replay_first_loss(double first, std::size_t steps) {
    if (steps == 0) return;
    first_ = last_ = first;
    steps_ = steps;
    restart_smoothing_ = true;  // the moving average starts again from the next loss
  }
  double first_loss() const { return first_; }
  std::size_t steps() const { return steps_; }

  void end_epoch(std::size_t epoch, double train_loss, double val_loss, double train_acc,
                 double val_acc);

 private:
  struct LayerStats {
    std::size_t layer;
    std::string name;
    WatchedActivation kind;
    std::vector<std::size_t> last_active;  // per unit: the last sampled step it was active in
    std::size_t saturated = 0, seen = 0, samples = 0;
  };
  LayerStats& stats_for(std::size_t layer, const std::string& name, WatchedActivation kind,
                        std::size_t last) {
    for (auto& s : stats_)
      if (s.layer == layer) return s;
    stats_.push_back({layer, name, kind, std::vector<std::size_t>(last, 0)});
    return stats_.back();
  }

  // After a recent change of the learning rate (a schedule or callback), the change is the
  // likely cause: the rate before it trained without diverging.
  std::string divergence_cause() const;

  // Above the usual range: 1e-2 for adaptive optimizers, 0.3 for SGD.
  bool rate_is_high() const { return lr_ >= (optimizer_ == "SGD" ? 0.3 : 1e-2); }

  std::string lr_advice(const char* verdict) const;

  void judge_stagnation(std::size_t epoch, std::size_t step);

  // No signal: after 500 steps, the training loss of each of the last 5 epochs is still at the
  // loss of the best constant prediction (the label distribution, or the targets' mean): not
  // 2% below it, nor 10% above it (or above ln K), and the best validation loss so far is not
  // 2% below it either, and it is not falling by 3% over them. Shuffled labels, rows misaligned
  // between inputs and labels, or inputs without information keep a model there. A healthy model on
  // weak features can rest at the class prior for a few hundred steps before it finds them (cats:
  // ~300), hence the length; a model whose training loss has left that level has learned something,
  // even if it does not carry over (birthwt), and is left alone.
  void judge_signal(std::size_t epoch, double val_loss);

  // Training loss going up and down by more than 5% for four epochs in a row.
  void judge_oscillation(std::size_t epoch);

  // Keeps val_loss, its epoch-to-epoch changes, and the best 3-epoch average so far with the
  // training loss then.
  void record_validation(std::size_t epoch, double train_loss, double val_loss);
  static double recent_average(const std::vector<double>& v) {
    constexpr std::size_t w = TrainingThresholds::overfit_patience;
    double sum = 0;
    for (std::size_t i = v.size() - w; i < v.size(); ++i) sum += v[i];
    return sum / double(w);
  }

  // Validation loss past its best by more than noise and by 5%, for overfit_patience epochs,
  // while the training loss falls (a rise of a few per cent is not worth acting on). Both the
  // best and the present are 3-epoch averages: the lowest single value of a noisy series is a
  // lucky dip, and a rise measured from it is mostly noise. Noise is a high percentile of the
  // recent epoch-to-epoch changes of val_loss: small validation sets move a lot between epochs,
  // and a rise within that is not evidence. The accuracy gap is reported with it, not judged alone
  // (it is large in many healthy runs on small data while val_loss still improves).
  void judge_overfitting(std::size_t epoch, double train_loss, double val_loss, double train_acc,
                         double val_acc);

  GuardSink& sink_;
  double expected_first_, constant_loss_ = NAN, constant_val_loss_ = NAN, best_val_any_ = INFINITY;
  std::string constant_what_;
  bool dead_units_ = false;  // DEAD-RELU has fired: later crawling and vanishing have that cause
  std::string optimizer_;
  double lr_, previous_lr_ = NAN;
  std::size_t lr_changed_at_ = 0, lr_changed_epoch_ = 0, current_epoch_ = 0;
  std::size_t steps_ = 0;
  double first_ = NAN, last_ = NAN;
  double smooth_ = 0, previous_smooth_ = INFINITY, lowest_smooth_ = INFINITY;
  std::size_t rising_ = 0;
  bool restart_smoothing_ = false;
  std::vector<double> window_, update_ratios_, epoch_losses_;
  std::vector<std::size_t> epoch_steps_;  // steps_ at the end of each epoch
  // The first layer's RMS gradient on the last sampled steps (a ring).
  std::array<double, TrainingThresholds::gradient_history> recent_gradients_{};
  std::size_t gradients_seen_ = 0;
  std::vector<LayerStats> stats_;
  double best_val_ = INFINITY, train_at_best_ = NAN;
  std::vector<double> val_losses_, val_changes_, train_losses_;
  std::size_t best_epoch_ = 0;
  std::size_t overfit_reported_for_ = std::size_t(-1), overfit_last_epoch_ = 0;
};

#if TG_HEADER_DEFINITIONS
TG_OUT_OF_LINE void TrainingMonitor::loss(std::size_t epoch, std::size_t step, double value) {
  ++steps_;
  current_epoch_ = epoch;
  if (!std::isfinite(value))
    sink_.fire(guard::train_nonfinite, epoch, step, value,
               "the loss became " + fmt(value) + " at epoch " + std::to_string(epoch) + ", step " +
                   std::to_string(step) + " (it was " + fmt(last_) +
                   " the step before). NaN spreads to every weight in one update. " +
                   lr_advice("too high"));
  if (steps_ == 1) {
    first_ = value;
    // A fresh model's logits have a spread of order 1, which puts the first minibatch's loss
    // anywhere up to about twice ln K; badly scaled inputs or a broken initialisation put it
    // far beyond (pixels in [0, 255] give tens). Fire at three times ln K.
    if (std::isfinite(expected_first_) &&
        value >= TrainingThresholds::first_loss_factor * expected_first_)
      sink_.fire(guard::train_first_loss, epoch, step, value,
                 "the first loss is " + fmt(value) +
                     " but a freshly initialised model should give about " + fmt(expected_first_) +
                     " (ln K for K classes), and at most about " + fmt(2 * expected_first_) +
                     "; this is above 3 ln K = " +
                     fmt(TrainingThresholds::first_loss_factor * expected_first_) +
                     ". The initial outputs are far from uniform: check input scaling "
                     "(data::StandardScaler) and the output layer's initialisation.");
  }
  // Minibatch losses are noisy: the rising rule reads an exponential moving average
  // (as fastai's learning-rate finder does), against its lowest value so far.
  smooth_ = steps_ == 1 || restart_smoothing_ ? value : 0.9 * smooth_ + 0.1 * value;
  restart_smoothing_ = false;
  lowest_smooth_ = std::min(lowest_smooth_, smooth_);
  rising_ = smooth_ > previous_smooth_ ? rising_ + 1 : 0;
  previous_smooth_ = smooth_;
  // Rising, twice its low, and above where the run started: minibatch noise around a low
  // loss can double a moving average, but a diverging run gives back everything it learned.
  const bool rising = rising_ >= TrainingThresholds::rising_steps &&
                      smooth_ >= 2 * lowest_smooth_ && smooth_ > first_;
  // Above 10x the first loss: on two steps in a row, so that one outlier batch is not taken
  // for divergence, or at once beyond 1000x.
  const double bound = TrainingThresholds::divergence_factor * std::max(first_, 1e-3);
  const bool far = value > bound && (last_ > bound || value > 100 * bound);
  if (steps_ > 1 && std::isfinite(value) && (far || rising))
    sink_.fire(guard::train_divergence, epoch, step, value,
               "the loss diverges: " + fmt(first_) + " at the first step, " + fmt(value) +
                   " at epoch " + std::to_string(epoch) + ", step " + std::to_string(step) +
                   (rising ? " (its moving average rose " + std::to_string(rising_) +
                                 " steps in a row, to " + fmt(smooth_) +
                                 ", over twice its low of " + fmt(lowest_smooth_) + ")"
                           : "") +
                   ". " + divergence_cause());
  last_ = value;
  window_.push_back(value);
  if (window_.size() == TrainingThresholds::stagnation_window) judge_stagnation(epoch, step);
}

TG_OUT_OF_LINE void TrainingMonitor::gradients(std::size_t epoch, std::size_t step,
                                               double first_rms, double last_rms,
                                               const std::string& first_layer,
                                               const std::string& last_layer) {
  if (!std::isfinite(first_rms) || !std::isfinite(last_rms))
    sink_.fire(guard::train_nonfinite, epoch, step, first_rms,
               "gradients became NaN/Inf at epoch " + std::to_string(epoch) + ", step " +
                   std::to_string(step) + ". " + lr_advice("too high"));
  // A spike: the gradient far above its median over the recent sampled steps. Deep networks
  // without normalisation at a high rate show it a step or two before the loss blows up, and
  // recurring spikes make a loss jump and recover (clip the gradients).
  if (first_rms > 0 && std::isfinite(first_rms)) {
    const std::size_t kept = std::min(gradients_seen_, recent_gradients_.size());
    if (kept >= 3) {
      auto sorted = recent_gradients_;  // a fixed array: no allocation inside the step
      std::nth_element(sorted.begin(), sorted.begin() + kept / 2, sorted.begin() + kept);
      const double median = sorted[kept / 2];
      if (first_rms > TrainingThresholds::gradient_spike * median)
        sink_.fire(guard::train_exploding, epoch, step, first_rms / median,
                   "gradients explode: the RMS gradient of " + first_layer + " jumped to " +
                       fmt(first_rms) + " at epoch " + std::to_string(epoch) + ", step " +
                       std::to_string(step) + ", " + fmt(first_rms / median, 3) +
                       "x its median of " + fmt(median) + " over the last " + std::to_string(kept) +
                       " sampled steps (> 100x). One such update can throw the weights far "
                       "from where training was. Lower the learning rate, add "
                       "BatchNormalization, or clip gradients.");
    }
    recent_gradients_[gradients_seen_++ % recent_gradients_.size()] = first_rms;
  }
  if (last_rms <= 0 || first_layer == last_layer) return;
  const double ratio = first_rms / last_rms;
  if (ratio > TrainingThresholds::exploding_ratio)
    sink_.fire(guard::train_exploding, epoch, step, ratio,
               "gradients explode towards the input: RMS gradient " + fmt(first_rms) + " at " +
                   first_layer + " vs " + fmt(last_rms) + " at " + last_layer + " (ratio " +
                   fmt(ratio, 3) +
                   " > 70). Updates to early layers overshoot. Lower the "
                   "learning rate, add BatchNormalization, or clip gradients.");
  else if (ratio < TrainingThresholds::vanishing_ratio &&
           first_rms < TrainingThresholds::vanishing_first)
    sink_.fire(guard::train_vanishing, epoch, step, ratio,
               "gradients vanish towards the input: RMS gradient " + fmt(first_rms) + " at " +
                   first_layer + " vs " + fmt(last_rms) + " at " + last_layer + " (ratio " +
                   fmt(ratio, 3) + " < 1e-3). Early layers stop learning. " +
                   (dead_units_ ? std::string("ReLU units died in this run (TG-TRAIN-DEAD-RELU) "
                                              "and pass no gradient: lower the learning rate ") +
                                      fmt(lr_) + "."
                                : std::string("Use ReLU-family activations with He "
                                              "initialisation, BatchNormalization, or residual "
                                              "blocks.")));
}

TG_OUT_OF_LINE void TrainingMonitor::activations(std::size_t layer, const std::string& name,
                                                 WatchedActivation kind, const double* counts,
                                                 std::size_t count, std::size_t last) {
  if (kind == WatchedActivation::none) return;
  auto& s = stats_for(layer, name, kind, last);
  if (kind == WatchedActivation::relu) {
    ++s.samples;
    for (std::size_t c = 0; c < last; ++c)
      if (counts[c] > 0) s.last_active[c] = s.samples;
  } else {
    s.saturated += std::size_t(counts[0]);
  }
  s.seen += count;
}

TG_OUT_OF_LINE void TrainingMonitor::end_epoch(std::size_t epoch, double train_loss,
                                               double val_loss, double train_acc, double val_acc) {
  for (auto& s : stats_) {
    if (s.kind == WatchedActivation::relu && s.seen) {
      // Dead: not active in any sampled step of the epoch's second half, so activity before
      // the damage (a spike mid-epoch) does not hide it until the next epoch.
      const std::size_t recent = s.samples - (s.samples + 1) / 2;
      const auto dead = std::size_t(std::count_if(s.last_active.begin(), s.last_active.end(),
                                                  [&](std::size_t a) { return a <= recent; }));
      const double fraction = double(dead) / double(s.last_active.size());
      if (fraction >= TrainingThresholds::dead_fraction) dead_units_ = true;
      if (fraction >= TrainingThresholds::dead_fraction)
        sink_.fire(guard::train_dead_relu, epoch, 0, fraction,
                   std::to_string(dead) + " of " + std::to_string(s.last_active.size()) +
                       " ReLU units of " + s.name + " (" + fmt(100 * fraction, 3) +
                       "%) were never active in the second half of epoch " + std::to_string(epoch) +
                       ". Dead units get no gradient and never recover. Lower the learning "
                       "rate, use LeakyReLU/ELU, or check the input scaling.");
    } else if (s.seen) {
      const double fraction = double(s.saturated) / double(s.seen);
      if (fraction > TrainingThresholds::saturated_fraction)
        sink_.fire(guard::train_saturation, epoch, 0, fraction,
                   fmt(100 * fraction, 3) + "% of the outputs of " + s.name +
                       " are saturated (pre-activation beyond +/-5) in epoch " +
                       std::to_string(epoch) +
                       ". Their gradient is almost 0. Scale the "
                       "inputs, lower the learning rate, or use ReLU.");
    }
    std::fill(s.last_active.begin(), s.last_active.end(), 0);
    s.saturated = s.seen = s.samples = 0;
  }
  epoch_losses_.push_back(train_loss);
  epoch_steps_.push_back(steps_);
  judge_oscillation(epoch);
  judge_signal(epoch, val_loss);
  if (!std::isnan(val_loss)) judge_overfitting(epoch, train_loss, val_loss, train_acc, val_acc);
}

TG_OUT_OF_LINE std::string TrainingMonitor::divergence_cause() const {
  if (lr_changed_at_ == 0 || !(lr_ > previous_lr_) ||
      steps_ - lr_changed_at_ > TrainingThresholds::recent_change_steps)
    return lr_advice("far too high");
  return "The learning rate changed from " + fmt(previous_lr_) + " to " + fmt(lr_) + " (" +
         optimizer_ + ") " + std::to_string(steps_ - lr_changed_at_) + " steps ago, in epoch " +
         std::to_string(lr_changed_epoch_) +
         ", and training ran without diverging before: the change is the likely cause. Keep " +
         fmt(previous_lr_) + ", or raise it in smaller steps (a warm-up).";
}

TG_OUT_OF_LINE std::string TrainingMonitor::lr_advice(const char* verdict) const {
  // Usual ranges: adaptive optimizers 1e-4 to 3e-3, SGD 1e-3 to 1e-1; and well below now.
  const bool sgd = optimizer_ == "SGD";
  double lo = sgd ? 1e-3 : 1e-4, hi = sgd ? 1e-1 : 3e-3;
  if (hi > lr_ / 10) hi = lr_ / 10, lo = std::min(lo, hi / 100);
  return "The learning rate " + fmt(lr_) + " (" + optimizer_ + ") is " + verdict + ": try " +
         fmt(lo, 2) + " to " + fmt(hi, 2) +
         ", or run model.find_learning_rate(train) and use its suggestion.";
}

TG_OUT_OF_LINE void TrainingMonitor::judge_stagnation(std::size_t epoch, std::size_t step) {
  constexpr std::size_t k = 10;
  double head = 0, tail = 0;
  for (std::size_t i = 0; i < k; ++i) head += window_[i], tail += window_[window_.size() - 1 - i];
  head /= k, tail /= k;
  const double improvement = (head - tail) / std::max(std::abs(head), 1e-12);
  double ratio = 0;
  for (double r : update_ratios_) ratio += r;
  if (!update_ratios_.empty()) ratio /= double(update_ratios_.size());
  // Flat, not rising: a loss that climbs (beyond minibatch noise) while the weights barely
  // move has another cause, such as units killed by a spike, and a higher rate would not help.
  // Nor is it when ReLU units have died, or when the rate is already high for the optimizer:
  // tiny updates then come from units that pass no gradient.
  if (!dead_units_ && !rate_is_high() && !update_ratios_.empty() &&
      improvement < TrainingThresholds::stagnant_improvement &&
      improvement > -TrainingThresholds::stagnant_rise &&
      ratio < TrainingThresholds::low_update_ratio)
    sink_.fire(guard::train_lr_low, epoch, step, ratio,
               "the loss moved " + fmt(100 * improvement, 3) + "% over the last " +
                   std::to_string(window_.size()) + " steps (" + fmt(head) + " to " + fmt(tail) +
                   ") and each update changes the weights by " + fmt(ratio, 3) +
                   " of their size (< 1e-4). Training crawls: the learning rate " + fmt(lr_) +
                   " (" + optimizer_ +
                   ") is too low. Try 10x to 100x higher, or "
                   "model.find_learning_rate(train).");
  window_.clear();
  update_ratios_.clear();
}

TG_OUT_OF_LINE void TrainingMonitor::judge_signal(std::size_t epoch, double val_loss) {
  if (!std::isnan(val_loss)) best_val_any_ = std::min(best_val_any_, val_loss);
  const auto& l = epoch_losses_;
  const double base = constant_loss_;
  constexpr std::size_t w = TrainingThresholds::no_signal_epochs;
  if (!(base > 0) || l.size() < w || steps_ < TrainingThresholds::no_signal_steps) return;
  const double low = (1 - TrainingThresholds::no_signal_band) * base;
  const double high = 1.1 * std::max(base, std::isfinite(expected_first_) ? expected_first_ : base);
  for (std::size_t i = l.size() - w; i < l.size(); ++i)
    if (!(l[i] >= low && l[i] <= high)) return;
  // Passing through on its way down is not resting there (targets far from 0: the output
  // reaches their mean first, then the loss goes on falling).
  if (l.back() < (1 - TrainingThresholds::no_signal_fall) * l[l.size() - w]) return;
  const bool validated = std::isfinite(best_val_any_) && constant_val_loss_ > 0;
  if (validated &&
      !(best_val_any_ >= (1 - TrainingThresholds::no_signal_band) * constant_val_loss_))
    return;
  sink_.fire(
      guard::train_no_signal, epoch, 0, l.back(),
      "the training loss of the last " + std::to_string(w) + " epochs (" + std::to_string(steps_) +
          " steps in all) stayed between " + fmt(low) + " and " + fmt(high) + " (now " +
          fmt(l.back()) + ")" +
          (validated ? ", and the best validation loss is " + fmt(best_val_any_) + " against " +
                           fmt(constant_val_loss_) + " for the same constant prediction"
                     : "") +
          ": no better than " + fmt(base) + ", the loss of " + constant_what_ +
          ". The model has learned nothing from its inputs. Check that input i and label i "
          "belong together (labels shuffled, or rows reordered on one side only) and that the "
          "inputs vary; " +
          (dead_units_ ? "ReLU units died in this run (TG-TRAIN-DEAD-RELU): lower the learning "
                         "rate " +
                             fmt(lr_) + "."
           : rate_is_high()
               ? "the learning rate " + fmt(lr_) + " (" + optimizer_ + ") is high: try 10x lower."
               : "if they do, the learning rate " + fmt(lr_) + " (" + optimizer_ +
                     ") may be too low."));
}

TG_OUT_OF_LINE void TrainingMonitor::judge_oscillation(std::size_t epoch) {
  const auto& l = epoch_losses_;
  // Four direction changes need six losses: each compares epochs i-2, i-1 and i.
  if (l.size() < 6) return;
  int flips = 0;
  // Swings are measured against the loss, but not below 40% of the first epoch's: a run that
  // has got far below where it started moves its epoch loss by several per cent with
  // minibatch noise alone (Adam at 3e-3 near a loss of 0.05), which is not overshooting.
  const double floor = 0.4 * std::abs(l.front());
  for (std::size_t i = l.size() - 4; i < l.size(); ++i) {
    const double change = (l[i] - l[i - 1]) / std::max({std::abs(l[i - 1]), floor, 1e-12});
    const double before = (l[i - 1] - l[i - 2]) / std::max({std::abs(l[i - 2]), floor, 1e-12});
    if (std::abs(change) > 0.05 && change * before < 0) ++flips;
  }
  if (flips == 4)
    sink_.fire(guard::train_oscillation, epoch, 0, double(flips),
               "the training loss went up and down by more than 5% in each of the last four "
               "epochs (" +
                   fmt(l[l.size() - 6]) + " ... " + fmt(l.back()) +
                   "). The steps "
                   "overshoot the minimum. " +
                   lr_advice("too high"));
}

TG_OUT_OF_LINE void TrainingMonitor::record_validation(std::size_t epoch, double train_loss,
                                                       double val_loss) {
  if (!val_losses_.empty()) val_changes_.push_back(std::abs(val_loss - val_losses_.back()));
  val_losses_.push_back(val_loss);
  train_losses_.push_back(train_loss);
  constexpr std::size_t w = TrainingThresholds::overfit_patience;
  if (val_losses_.size() < w) return;
  const double average = recent_average(val_losses_);
  if (average < best_val_)
    best_val_ = average, best_epoch_ = epoch, train_at_best_ = recent_average(train_losses_);
}

TG_OUT_OF_LINE void TrainingMonitor::judge_overfitting(std::size_t epoch, double train_loss,
                                                       double val_loss, double train_acc,
                                                       double val_acc) {
  record_validation(epoch, train_loss, val_loss);
  constexpr std::size_t w = TrainingThresholds::overfit_patience;
  if (val_losses_.size() < w || epoch < best_epoch_ + w || val_changes_.size() < 3) return;
  const double train_now = recent_average(train_losses_);
  if (!(train_now < train_at_best_)) return;
  // Noise: the 75th percentile of the last 20 epoch-to-epoch changes. Small validation sets
  // jump now and then (31 -> 37 -> 31 on 16 rows) and a median would ignore the jumps.
  const std::size_t recent_changes = std::min<std::size_t>(val_changes_.size(), 20);
  std::vector<double> changes(val_changes_.end() - std::ptrdiff_t(recent_changes),
                              val_changes_.end());
  const std::size_t at = changes.size() * 3 / 4;
  std::nth_element(changes.begin(), changes.begin() + std::ptrdiff_t(at), changes.end());
  const double noise = changes[at];
  const double recent = recent_average(val_losses_);
  const double rise = recent - best_val_;
  if (!(rise > TrainingThresholds::overfit_noise * noise &&
        rise > TrainingThresholds::overfit_relative * std::abs(best_val_)))
    return;
  // One report for each best: after a warning, the next needs a new best first (a streak
  // broken by one quiet epoch is the same overfitting).
  if (overfit_reported_for_ == best_epoch_ && epoch > overfit_last_epoch_ + 1) return;
  overfit_reported_for_ = best_epoch_;
  overfit_last_epoch_ = epoch;
  const bool gap = !std::isnan(train_acc) && !std::isnan(val_acc);
  sink_.fire(guard::train_overfitting, epoch, 0, rise,
             "validation loss, averaged over " + std::to_string(w) +
                 " epochs, has risen from its best of " + fmt(best_val_) + " (epochs " +
                 std::to_string(best_epoch_ + 1 - w) + "-" + std::to_string(best_epoch_) + ") to " +
                 fmt(recent) + " (" + fmt(val_loss) + " now), a rise of " + fmt(rise, 3) +
                 " against an epoch-to-epoch noise of " + fmt(noise, 3) +
                 " (75th percentile of the last " + std::to_string(recent_changes) + ")" +
                 ", while the training loss fell from " + fmt(train_at_best_) + " to " +
                 fmt(train_now) +
                 (gap ? " (accuracy " + fmt(100 * train_acc, 3) + "% training, " +
                            fmt(100 * val_acc, 3) + "% validation)"
                      : std::string()) +
                 ": the model memorises the training data. Stop at the best epoch "
                 "(FitOptions::early_stopping), add Dropout, or get more data.");
}
#endif

}  // namespace detail
}  // namespace tensorguard
