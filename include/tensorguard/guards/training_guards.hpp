// Guards on training: statistics computed inside the training step. The loss is judged every
// step (free); gradients, update sizes and activations every GuardPolicy::sample_every steps,
// which keeps the guards cheap enough to stay on.
#pragma once
#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "guard.hpp"

namespace tensorguard {

// fit's built-in early stopping (Keras's EarlyStopping with restore_best_weights).
struct EarlyStopping {
  std::size_t patience = 3;  // epochs without improvement of val_loss (loss without validation)
  double min_delta = 0.0;    // smaller improvements do not count
  bool restore_best_weights = true;
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
  static constexpr double dead_fraction = 0.7;        // >= 70% of ReLU units never active
  static constexpr double first_loss_factor = 3.0;    // first loss >= 3 ln K
  static constexpr std::size_t overfit_patience = 3;  // epochs past the best val_loss
  static constexpr double overfit_noise = 3.0;        // rise > 3x the epoch-to-epoch spread
  static constexpr double overfit_relative = 0.05;    // and > 5% of the best val_loss
  static constexpr double saturated_fraction = 0.5;   // > 50% of outputs saturated (|z| > 5)
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
  void set_learning_rate(double lr) { lr_ = lr; }

  // Every step: the mean batch loss.
  void loss(std::size_t epoch, std::size_t step, double value) {
    ++steps_;
    if (!std::isfinite(value))
      sink_.fire(guard::train_nonfinite, epoch, step, value,
                 "the loss became " + fmt(value) + " at epoch " + std::to_string(epoch) +
                     ", step " + std::to_string(step) + " (it was " + fmt(last_) +
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
                       " but a freshly initialised model should give about " +
                       fmt(expected_first_) + " (ln K for K classes), and at most about " +
                       fmt(2 * expected_first_) + "; this is above 3 ln K = " +
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
    if (steps_ > 1 && std::isfinite(value) &&
        (value > TrainingThresholds::divergence_factor * std::max(first_, 1e-3) || rising))
      sink_.fire(guard::train_divergence, epoch, step, value,
                 "the loss diverges: " + fmt(first_) + " at the first step, " + fmt(value) +
                     " at epoch " + std::to_string(epoch) + ", step " + std::to_string(step) +
                     (rising ? " (its moving average rose " + std::to_string(rising_) +
                                   " steps in a row, to " + fmt(smooth_) +
                                   ", over twice its low of " + fmt(lowest_smooth_) + ")"
                             : "") +
                     ". " + lr_advice("far too high"));
    last_ = value;
    window_.push_back(value);
    if (window_.size() == TrainingThresholds::stagnation_window) judge_stagnation(epoch, step);
  }

  // Sampled steps: RMS gradient of the first and last parameterised layers.
  void gradients(std::size_t epoch, std::size_t step, double first_rms, double last_rms,
                 const std::string& first_layer, const std::string& last_layer) {
    if (!std::isfinite(first_rms) || !std::isfinite(last_rms))
      sink_.fire(guard::train_nonfinite, epoch, step, first_rms,
                 "gradients became NaN/Inf at epoch " + std::to_string(epoch) + ", step " +
                     std::to_string(step) + ". " + lr_advice("too high"));
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
                     fmt(ratio, 3) +
                     " < 1e-3). Early layers stop learning. Use ReLU-family "
                     "activations with He initialisation, BatchNormalization, or residual blocks.");
  }

  // Sampled steps: |W_after - W_before| / |W_before| of the whole model.
  void update_ratio(double ratio) { update_ratios_.push_back(ratio); }

  // Sampled steps: what the backend counted over one layer's `count` outputs (`last` values on
  // the last axis): for ReLU, a flag per unit that was active (counts[0..last)); for Sigmoid and
  // Tanh, the number of saturated outputs (counts[0]; saturation_bounds gives the band).
  void activations(std::size_t layer, const std::string& name, WatchedActivation kind,
                   const double* counts, std::size_t count, std::size_t last) {
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
  // |z| > 5: sigmoid outside (0.0067, 0.9933), tanh beyond 0.99991.
  static std::pair<double, double> saturation_bounds(WatchedActivation kind) {
    return kind == WatchedActivation::sigmoid ? std::pair{0.0066929, 0.9933071}
                                              : std::pair{-0.9999092, 0.9999092};
  }

  // A resumed fit: the epochs before the checkpoint, so epoch-level rules see the whole run,
  // and the first loss of the run (NaN when unknown), without judging them again.
  void replay_epoch(std::size_t epoch, double train_loss, double val_loss) {
    epoch_losses_.push_back(train_loss);
    if (std::isnan(val_loss)) return;
    if (!val_losses_.empty()) val_changes_.push_back(std::abs(val_loss - val_losses_.back()));
    val_losses_.push_back(val_loss);
    if (val_loss < best_val_)
      best_val_ = val_loss, best_epoch_ = epoch, train_at_best_ = train_loss;
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
                 double val_acc) {
    for (auto& s : stats_) {
      if (s.kind == WatchedActivation::relu && s.seen) {
        // Dead: not active in any sampled step of the epoch's second half, so activity before
        // the damage (a spike mid-epoch) does not hide it until the next epoch.
        const std::size_t recent = s.samples - (s.samples + 1) / 2;
        const auto dead = std::size_t(std::count_if(s.last_active.begin(), s.last_active.end(),
                                                    [&](std::size_t a) { return a <= recent; }));
        const double fraction = double(dead) / double(s.last_active.size());
        if (fraction >= TrainingThresholds::dead_fraction)
          sink_.fire(guard::train_dead_relu, epoch, 0, fraction,
                     std::to_string(dead) + " of " + std::to_string(s.last_active.size()) +
                         " ReLU units of " + s.name + " (" + fmt(100 * fraction, 3) +
                         "%) were never active in the second half of epoch " +
                         std::to_string(epoch) +
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
    judge_oscillation(epoch);
    if (!std::isnan(val_loss)) judge_overfitting(epoch, train_loss, val_loss, train_acc, val_acc);
  }

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

  std::string lr_advice(const char* verdict) const {
    // Usual ranges: adaptive optimizers 1e-4 to 3e-3, SGD 1e-3 to 1e-1; and well below now.
    const bool sgd = optimizer_ == "SGD";
    double lo = sgd ? 1e-3 : 1e-4, hi = sgd ? 1e-1 : 3e-3;
    if (hi > lr_ / 10) hi = lr_ / 10, lo = std::min(lo, hi / 100);
    return "The learning rate " + fmt(lr_) + " (" + optimizer_ + ") is " + verdict + ": try " +
           fmt(lo, 2) + " to " + fmt(hi, 2) +
           ", or run model.find_learning_rate(train) and use its suggestion.";
  }

  void judge_stagnation(std::size_t epoch, std::size_t step) {
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
    if (!update_ratios_.empty() && improvement < TrainingThresholds::stagnant_improvement &&
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

  // Training loss going up and down by more than 5% for four epochs in a row.
  void judge_oscillation(std::size_t epoch) {
    const auto& l = epoch_losses_;
    // Four direction changes need six losses: each compares epochs i-2, i-1 and i.
    if (l.size() < 6) return;
    int flips = 0;
    for (std::size_t i = l.size() - 4; i < l.size(); ++i) {
      const double change = (l[i] - l[i - 1]) / std::max(std::abs(l[i - 1]), 1e-12);
      const double before = (l[i - 1] - l[i - 2]) / std::max(std::abs(l[i - 2]), 1e-12);
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

  // Validation loss past its best by more than noise and by 5%, for overfit_patience epochs,
  // while the training loss falls (a rise of a few per cent is not worth acting on). Noise is the
  // median epoch-to-epoch change of val_loss so far: small validation sets move a lot between
  // epochs, and a rise within that is not evidence. The accuracy gap is reported with it, not
  // judged alone (it is large in many healthy runs on small data while val_loss still improves).
  void judge_overfitting(std::size_t epoch, double train_loss, double val_loss, double train_acc,
                         double val_acc) {
    if (!val_losses_.empty()) val_changes_.push_back(std::abs(val_loss - val_losses_.back()));
    val_losses_.push_back(val_loss);
    if (val_loss < best_val_) {
      best_val_ = val_loss, best_epoch_ = epoch, train_at_best_ = train_loss;
      return;
    }
    if (epoch < best_epoch_ + TrainingThresholds::overfit_patience || val_changes_.size() < 3 ||
        !(train_loss < train_at_best_))
      return;
    std::vector<double> changes = val_changes_;
    std::nth_element(changes.begin(), changes.begin() + changes.size() / 2, changes.end());
    const double noise = changes[changes.size() / 2];
    // The last overfit_patience epochs, averaged, against the best.
    double recent = 0;
    for (std::size_t i = val_losses_.size() - TrainingThresholds::overfit_patience;
         i < val_losses_.size(); ++i)
      recent += val_losses_[i];
    recent /= double(TrainingThresholds::overfit_patience);
    const double rise = recent - best_val_;
    if (!(rise > TrainingThresholds::overfit_noise * noise &&
          rise > TrainingThresholds::overfit_relative * std::abs(best_val_)))
      return;
    const bool gap = !std::isnan(train_acc) && !std::isnan(val_acc);
    sink_.fire(guard::train_overfitting, epoch, 0, rise,
               "validation loss has stayed above its best of " + fmt(best_val_) + " (epoch " +
                   std::to_string(best_epoch_) + ") for " + std::to_string(epoch - best_epoch_) +
                   " epochs: " + fmt(val_loss) + " now, a rise of " + fmt(rise, 3) +
                   " over the last " + std::to_string(TrainingThresholds::overfit_patience) +
                   " epochs against an epoch-to-epoch noise of " + fmt(noise, 3) +
                   ", while the training loss fell from " + fmt(train_at_best_) + " to " +
                   fmt(train_loss) +
                   (gap ? " (accuracy " + fmt(100 * train_acc, 3) + "% training, " +
                              fmt(100 * val_acc, 3) + "% validation)"
                        : std::string()) +
                   ": the model memorises the training data. Stop at the best epoch "
                   "(FitOptions::early_stopping), add Dropout, or get more data.");
  }

  GuardSink& sink_;
  double expected_first_;
  std::string optimizer_;
  double lr_;
  std::size_t steps_ = 0;
  double first_ = NAN, last_ = NAN;
  double smooth_ = 0, previous_smooth_ = INFINITY, lowest_smooth_ = INFINITY;
  std::size_t rising_ = 0;
  bool restart_smoothing_ = false;
  std::vector<double> window_, update_ratios_, epoch_losses_;
  std::vector<LayerStats> stats_;
  double best_val_ = INFINITY, train_at_best_ = NAN;
  std::vector<double> val_losses_, val_changes_;
  std::size_t best_epoch_ = 0;
};

}  // namespace detail
}  // namespace tensorguard
