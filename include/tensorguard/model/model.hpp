// Model<Net, Loss, Backend>: a Sequential network with its loss, parameters, optimizer and the
// training loop (fit, evaluate, predict, summary, save, load).
#pragma once
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <iostream>
#include <limits>
#include <memory>
#include <numeric>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "../activations/relu.hpp"
#include "../activations/tanh.hpp"
#include "../backend/cpu.hpp"
#include "../core/buffer.hpp"
#include "../core/random.hpp"
#include "../data/dataset.hpp"
#include "../guards/data_guards.hpp"
#include "../guards/training_guards.hpp"
#include "../losses/fusion.hpp"
#include "../optim/optimizer.hpp"
#include "../training/history.hpp"
#include "../training/progress.hpp"
#include "checkpoint.hpp"
#include "compatibility.hpp"
#include "sequential.hpp"
#include "summary.hpp"
#include "weights_file.hpp"

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

template <class Net, class Loss, class Backend = Cpu>
class Model {
  static_assert(is_sequential<Net>, "Model<Net, Loss>: Net must be a Sequential<Input<...>, ...>");

 public:
  using network = Net;
  using loss_type = Loss;
  using scalar = typename Net::scalar;
  using input_shape = typename Net::input_shape;
  using output_shape = typename Net::output_shape;
  using T = scalar;

 private:
  using Body = typename Net::body;
  using OutputActivation = typename Net::output_activation;

 public:
  // The loss against the output layer (the model's own checks run in Sequential).
  using loss_verdict = detail::verdict_of<detail::loss_verdict<Net, Loss>()>;
  static_assert(sizeof(loss_verdict));  // a model_error here names the mistake (docs/errors.md)

  static constexpr std::size_t parameter_count = Net::parameter_count;
  static constexpr std::size_t state_count = Net::state_count;
  static constexpr double flops_per_sample = Net::flops_per_sample;
  static constexpr std::size_t activation_bytes_per_sample = Net::activation_bytes_per_sample;
  // Parameters, their gradients and the optimizer's moments.
  static constexpr std::size_t training_state_bytes =
      (4 * parameter_count + state_count) * sizeof(scalar);

  explicit Model(optim::Settings optimizer = optim::Adam{}, std::uint64_t seed = 42)
      : optimizer_(optimizer) {
    params_.resize(parameter_count);
    grads_.resize(parameter_count);
    state_.resize(state_count);
    ParameterSlots<T> slots{params_.data(), grads_.data(), state_.data()};
    body_.attach(slots);
    reinitialize(seed);
  }
  Model(const Model&) = delete;  // layers point into this model's parameter arrays
  Model& operator=(const Model&) = delete;

  // Fresh weights from the seed; the same seed gives bit-identical weights.
  void reinitialize(std::uint64_t seed) {
    rng_.reseed(seed);
    seed_ = seed;
    body_.initialize(rng_);
    optimizer_.reserve(parameter_count);
  }

  template <class D>
  History fit(const D& train, const FitOptions<D>& options = {}) {
    using verdict = detail::data_verdict_t<Net, Loss, D>;
    static_assert(sizeof(verdict));  // a model_error here names the mistake (docs/errors.md)
    if constexpr (detail::is_passed<verdict>)
      return fit_checked(train, options);
    else
      return {};
  }

  // The data guards fit runs before its first step, alone (the options' validation set,
  // batch size and guard levels apply): a GuardReport of the warnings, GuardStop for a stop.
  template <class D>
  GuardReport check_data(const D& train, const FitOptions<D>& options = {}) {
    using verdict = detail::data_verdict_t<Net, Loss, D>;
    static_assert(sizeof(verdict));  // a model_error here names the mistake (docs/errors.md)
    GuardReport report;
    if constexpr (detail::is_passed<verdict>) {
      check_fit_options(train, options);
      detail::GuardSink sink(options.guards, report);
      check_data_guards(train, options.validation ? &options.validation->get() : nullptr,
                        std::min(options.batch_size, train.size()), sink);
    }
    return report;
  }

  template <class D>
  Evaluation evaluate(const D& data, std::size_t batch_size = 256) {
    using verdict = detail::data_verdict_t<Net, Loss, D>;
    static_assert(sizeof(verdict));  // a model_error here names the mistake (docs/errors.md)
    if constexpr (detail::is_passed<verdict>)
      return evaluate_checked(data, batch_size);
    else
      return {};
  }

  // Tries rates from options.start to options.end on the training data, then restores the
  // weights and optimizer state: the model is unchanged afterwards.
  template <class D>
  LearningRateSearch find_learning_rate(const D& train, LearningRateSearchOptions options = {}) {
    using verdict = detail::data_verdict_t<Net, Loss, D>;
    static_assert(sizeof(verdict));  // a model_error here names the mistake (docs/errors.md)
    LearningRateSearch out;
    if constexpr (detail::is_passed<verdict>) {
      if (train.size() == 0 || options.steps < 2 || options.batch_size == 0 ||
          !(std::isfinite(options.start) && std::isfinite(options.end) && options.start > 0 &&
            options.end > options.start))
        throw std::invalid_argument(
            "find_learning_rate: needs data, steps >= 2, batch_size >= 1 and finite 0 < start < "
            "end; got " +
            std::to_string(train.size()) + " samples, steps " + std::to_string(options.steps) +
            ", batch_size " + std::to_string(options.batch_size) + ", start " +
            detail::fmt(options.start) + ", end " + detail::fmt(options.end));
      check_usable(train, "training");
      // Everything a step changes is restored afterwards: weights, normalisation state, the
      // optimizer (settings, moments, step count) and the random generators.
      const Buffer<T> params = params_, state = state_;
      const optim::Optimizer<T> optimizer = optimizer_;
      const auto generators = save_generators();
      const std::size_t batch = std::min(options.batch_size, train.size());
      reserve<D>(batch);
      order_.resize(train.size());
      for (std::size_t i = 0; i < order_.size(); ++i) order_[i] = i;
      optimizer_.reserve(parameter_count);  // a fresh optimizer for the search
      double average = 0, best = INFINITY;
      std::size_t cursor = order_.size();
      for (std::size_t i = 0; i < options.steps; ++i) {
        const double rate = options.start * std::pow(options.end / options.start,
                                                     double(i) / double(options.steps - 1));
        optimizer_.set_learning_rate(rate);
        if (cursor + batch > order_.size()) {
          tensorguard::shuffle(order_.begin(), order_.end(), rng_);
          cursor = 0;
        }
        gather(train, std::span<const std::size_t>(order_).subspan(cursor, batch));
        cursor += batch;
        const double loss = train_step<D>(batch).first / double(batch);
        average = 0.98 * average + 0.02 * loss;  // smoothed, with bias correction below
        const double smoothed = average / (1 - std::pow(0.98, double(i + 1)));
        if (!std::isfinite(smoothed) || (i > 0 && smoothed > 4 * best)) break;
        best = std::min(best, smoothed);
        out.rates.push_back(rate);
        out.losses.push_back(smoothed);
      }
      // The steepest fall of the smoothed loss against log(rate).
      double steepest = INFINITY;
      for (std::size_t i = 1; i < out.losses.size(); ++i) {
        const double slope = (out.losses[i] - out.losses[i - 1]) /
                             (std::log(out.rates[i]) - std::log(out.rates[i - 1]));
        if (slope < steepest) steepest = slope, out.suggested = out.rates[i];
      }
      std::copy(params.begin(), params.end(), params_.begin());
      std::copy(state.begin(), state.end(), state_.begin());
      optimizer_ = optimizer;
      restore_generators(generators);
    }
    return out;
  }

  // Outputs for consecutive samples (inputs.size() must be a multiple of the input size).
  std::vector<T> predict(std::span<const T> inputs, std::size_t batch_size = 256) {
    if (inputs.size() % input_shape::size != 0)
      throw std::invalid_argument("predict: " + std::to_string(inputs.size()) +
                                  " values are not whole samples of " + input_shape::to_string() +
                                  " (" + std::to_string(input_shape::size) + " values each)");
    const std::size_t n = inputs.size() / input_shape::size;
    std::vector<T> out(n * output_shape::size);
    const std::size_t batch = std::max<std::size_t>(1, std::min(batch_size, n));
    for (std::size_t start = 0; start < n; start += batch) {
      const std::size_t count = std::min(batch, n - start);
      inference_pass(inputs.data() + start * input_shape::size,
                     out.data() + start * output_shape::size, count,
                     [](Body&, Backend&, std::size_t, std::size_t, unsigned) {});
    }
    return out;
  }
  template <class D>
  requires detail::DatasetType<D> std::vector<T> predict(const D& data,
                                                         std::size_t batch_size = 256) {
    using verdict = detail::data_verdict_t<Net, Loss, D, /*WithLabels=*/false>;
    static_assert(sizeof(verdict));  // a model_error here names the mistake (docs/errors.md)
    if constexpr (detail::is_passed<verdict>)
      return predict(data.inputs(), batch_size);
    else
      return {};
  }

  void summary(std::ostream& out = std::cout) const {
    std::vector<LayerRecord> records;
    Body::describe(records, "", 0);
    detail::print_summary(
        out,
        {std::string("Model: Sequential<") + (sizeof(T) == 4 ? "float" : "double") + ">, loss " +
             Loss::name + ", optimizer " + optimizer_.name() + ", backend " + Backend::name,
         input_shape::to_string(), parameter_count, state_count, sizeof(T),
         activation_bytes_per_sample, flops_per_sample},
        records);
  }

  void save(const std::string& path) const {
    detail::write_weights(path, records(), params_.data(), params_.size(), state_.data(),
                          state_.size());
  }
  // Loads weights from a weights file (version 1 or 2) or from a checkpoint. Throws
  // WeightsMismatch naming the first layer that differs, or what is corrupt; the model is
  // unchanged then. The optimizer starts afresh (zero moments, step 0): its state belonged to
  // the training that produced other weights. To continue a run, resume from a checkpoint.
  void load(const std::string& path) {
    // A weights file of this model has a known size: a longer one is refused without reading
    // all of it (a checkpoint is longer, and is read whole).
    const std::size_t limit =
        detail::weights_file_size(records(), parameter_count, state_count, sizeof(T));
    auto bytes = detail::read_whole_file(path, "load", limit);
    if (bytes.size() > limit && detail::is_checkpoint(bytes))
      bytes = detail::read_whole_file(path, "load");
    else if (bytes.size() > limit)
      throw WeightsMismatch("load: '" + path + "' is larger than any weights file of this model (" +
                            std::to_string(limit) +
                            " bytes): it is another model's, or something was appended");
    const std::span<const unsigned char> view(bytes);
    std::vector<T> params(parameter_count), state(state_count);  // the model's stay untouched
    if (detail::is_checkpoint(view)) {
      auto s =
          detail::parse_checkpoint<T>(view, path, records(), parameter_count, state_count, "load");
      params = std::move(s.params);
      state = std::move(s.state);
    } else {
      detail::parse_weights(view, path, records(), params.data(), params.size(), state.data(),
                            state.size());
    }
    std::copy(params.begin(), params.end(), params_.begin());
    std::copy(state.begin(), state.end(), state_.begin());
    optimizer_.reserve(parameter_count);
  }

  // What a checkpoint holds, after checking it against this model; the model is not touched.
  CheckpointSummary read_checkpoint(const std::string& path) const {
    const auto s = detail::read_checkpoint<T>(path, records(), parameter_count, state_count,
                                              "read_checkpoint");
    return {s.epoch, s.batch_size, s.samples, optim::name(s.settings), s.optimizer_step, s.history};
  }

  static std::vector<LayerRecord> records() {
    std::vector<LayerRecord> r;
    Body::describe(r, "", 0);
    return r;
  }

  std::span<T> parameters() { return {params_.data(), params_.size()}; }
  std::span<const T> parameters() const { return {params_.data(), params_.size()}; }
  std::span<const T> gradients() const { return {grads_.data(), grads_.size()}; }
  std::span<T> state() { return {state_.data(), state_.size()}; }
  optim::Optimizer<T>& optimizer() { return optimizer_; }
  Backend& backend() { return backend_; }

  // One forward and backward pass over n samples (no update): returns the summed loss.
  // Used by gradient checks; fit uses the same path.
  template <class D>
  double loss_and_gradient(std::span<const T> inputs,
                           std::span<const typename D::label_value> targets, Mode mode) {
    const std::size_t n = inputs.size() / input_shape::size;
    if (n == 0 || inputs.size() % input_shape::size != 0 || targets.size() != n * D::label_width)
      throw std::invalid_argument(
          "loss_and_gradient: " + std::to_string(inputs.size()) + " input values and " +
          std::to_string(targets.size()) + " target values; each sample needs " +
          std::to_string(input_shape::size) + " inputs (" + input_shape::to_string() + ") and " +
          std::to_string(D::label_width) + " targets (" + D::labels_type::name() + ")");
    if constexpr (D::labels_type::kind == LabelKind::class_index)
      for (std::size_t i = 0; i < targets.size(); ++i)
        if (targets[i] < 0 || std::size_t(targets[i]) >= D::labels_type::classes)
          throw std::invalid_argument("loss_and_gradient: target " + std::to_string(i) +
                                      " is class " + std::to_string(targets[i]) + " outside [0, " +
                                      std::to_string(D::labels_type::classes) + ")");
    reserve<D>(n);
    backend_.copy(inputs.data(), x_.data(), inputs.size());
    std::copy(targets.begin(), targets.end(), labels<D>().data());
    return gradient_pass<D>(n, mode, nullptr);
  }

 private:
  // The best epoch's weights, for early stopping.
  struct BestWeights {
    double score = INFINITY;
    std::size_t epoch = 0, waited = 0;
    Buffer<T> params, state;
    bool observe(Model& m, EpochLogs& logs, const EarlyStopping& rule) {
      const double value = std::isnan(logs.val_loss) ? logs.loss : logs.val_loss;
      if (value < score - rule.min_delta) {
        score = value, epoch = logs.epoch, waited = 0;
        params = m.params_;
        state = m.state_;
        return false;
      }
      return ++waited >= rule.patience;
    }
    void restore(Model& m) const {
      if (epoch == 0) return;
      std::copy(params.begin(), params.end(), m.params_.begin());
      std::copy(state.begin(), state.end(), m.state_.begin());
    }
  };

  template <class D>
  static void check_fit_options(const D& train, const FitOptions<D>& options) {
    if (options.batch_size == 0) throw std::invalid_argument("fit: batch_size must be at least 1");
    if (options.epochs == 0)
      throw std::invalid_argument(
          "fit: epochs is 0, so nothing would be trained; give 1 or more (model.check_data runs "
          "the data checks alone)");
    if (train.size() == 0) throw std::invalid_argument("fit: the training dataset is empty");
    if (options.validation && options.validation->get().size() == 0)
      throw std::invalid_argument(
          "fit: the validation dataset (FitOptions::validation) has 0 rows; give it data or "
          "leave it out");
  }

  template <class D>
  History fit_checked(const D& train, const FitOptions<D>& options) {
    check_fit_options(train, options);
    const CheckpointOptions* checkpoint = options.checkpoint ? &*options.checkpoint : nullptr;
    if (checkpoint) check_checkpoint_options(*checkpoint, options.validation.has_value());
    // A checkpoint to continue from: read and checked whole before anything changes.
    std::optional<detail::TrainingState<T>> resume;
    std::string resume_path = options.resume_from, who = "fit: resume_from";
    if (resume_path.empty() && checkpoint && checkpoint->resume &&
        std::filesystem::exists(checkpoint->path))
      resume_path = checkpoint->path, who = "fit: checkpoint.resume";
    // What identifies the training data in a checkpoint (a hash of every value: once per fit).
    const std::uint64_t fingerprint = checkpoint || !resume_path.empty() ? train.fingerprint() : 0;
    if (!resume_path.empty()) {
      const std::string hint = options.resume_from.empty()
                                   ? " (checkpoint.resume found this file at checkpoint.path: "
                                     "delete it, or choose another path, to start a new run)"
                                   : "";
      try {
        resume =
            detail::read_checkpoint<T>(resume_path, records(), parameter_count, state_count, who);
      } catch (const WeightsMismatch& e) {
        throw WeightsMismatch(e.what() + hint);
      }
      check_resume(*resume, resume_path, train.size(), fingerprint, options, hint);
      if (resume->epoch == options.epochs && options.verbose != Verbosity::silent)
        std::cout << "fit: '" << resume_path << "' is at epoch " << resume->epoch << " of "
                  << options.epochs << ": nothing is left to train\n";
    }

    History history;
    detail::GuardSink sink(options.guards, history.guards);
    const std::size_t n = train.size();
    const std::size_t batch = std::min(options.batch_size, n);
    check_data_guards(train, options.validation ? &options.validation->get() : nullptr, batch,
                      sink);

    const std::size_t steps = (n + batch - 1) / batch;
    reserve<D>(batch);
    order_.resize(n);
    for (std::size_t i = 0; i < n; ++i) order_[i] = i;
    BestWeights best;
    double best_monitored = NAN;
    std::size_t first_epoch = 1;
    if (resume) {
      apply_resume(*resume, best);
      history.epochs = resume->history;
      best_monitored = resume->best_monitored;
      first_epoch = resume->epoch + 1;
    }
    detail::TrainingMonitor monitor(sink, expected_first_loss(), optimizer_.name(),
                                    optimizer_.learning_rate());
    if (resume) {
      monitor.replay_first_loss(resume->first_loss, resume->monitored_steps);
      for (const auto& e : history.epochs) monitor.replay_epoch(e.epoch, e.loss, e.val_loss);
    }
    const bool guarded = !options.guards.all_off();
    if (guarded) prepare_sampling();

    ProgressDisplay progress(options.verbose);
    TrainingControl control{false, optimizer_.learning_rate()};
    // A run that early stopping had already ended stays ended.
    if (resume && options.early_stopping && best.epoch != 0 &&
        best.waited >= options.early_stopping->patience)
      control.stop = true;
    for (std::size_t epoch = first_epoch; epoch <= options.epochs && !control.stop; ++epoch) {
      if (options.shuffle) tensorguard::shuffle(order_.begin(), order_.end(), rng_);
      progress.start_epoch(epoch, options.epochs, steps, has_accuracy<D>);
      double loss_sum = 0;
      std::size_t correct = 0, seen = 0;
      for (std::size_t step = 0; step < steps && !control.stop; ++step) {
        const std::size_t count = std::min(batch, n - step * batch);
        gather(train, std::span<const std::size_t>(order_).subspan(step * batch, count));
        const auto [batch_loss, batch_correct] =
            train_step<D>(count, guarded ? &monitor : nullptr, epoch, step + 1);
        loss_sum += batch_loss;
        correct += batch_correct;
        seen += count;
        progress.step(step + 1, loss_sum / double(seen), double(correct) / double(seen));
        for (auto& cb : options.callbacks)
          if (cb.on_batch_end) cb.on_batch_end(step, batch_loss / double(count), control);
        apply_learning_rate(control, monitor);
      }
      EpochLogs logs;
      logs.epoch = epoch;
      logs.loss = loss_sum / double(seen);
      if (has_accuracy<D>) logs.accuracy = double(correct) / double(seen);
      logs.steps = steps;
      logs.learning_rate = optimizer_.learning_rate();
      if (options.validation) {
        const Evaluation v = evaluate_checked(options.validation->get(), 256);
        logs.val_loss = v.loss;
        logs.val_accuracy = v.accuracy;
      }
      logs.seconds = progress.seconds_since_start();
      progress.end_epoch(logs);
      history.epochs.push_back(logs);
      if (guarded)
        monitor.end_epoch(epoch, logs.loss, logs.val_loss, logs.accuracy, logs.val_accuracy);
      if (options.early_stopping && best.observe(*this, logs, *options.early_stopping))
        control.stop = true;
      for (auto& cb : options.callbacks)
        if (cb.on_epoch_end) cb.on_epoch_end(logs, control);
      apply_learning_rate(control, monitor);
      if (checkpoint) {
        const bool last = control.stop || epoch == options.epochs;
        const double value = monitored_value(logs, checkpoint->monitor);
        const bool improved =
            !checkpoint->best_path.empty() && better(value, best_monitored, checkpoint->monitor);
        if (improved) best_monitored = value;
        if (improved || last || epoch % checkpoint->every_epochs == 0) {
          auto state =
              capture_state(epoch, batch, options.shuffle, monitor, history, best, best_monitored);
          state.data_fingerprint = fingerprint;
          const auto bytes = detail::checkpoint_bytes(records(), state);
          if (last || epoch % checkpoint->every_epochs == 0)
            detail::write_file_atomically(checkpoint->path, bytes, "fit: checkpoint");
          if (improved)
            detail::write_file_atomically(checkpoint->best_path, bytes, "fit: checkpoint");
        }
      }
    }
    if (options.early_stopping && options.early_stopping->restore_best_weights) best.restore(*this);
    return history;
  }

  // --- Checkpoints --------------------------------------------------------------------------
  static void check_checkpoint_options(const CheckpointOptions& c, bool has_validation) {
    if (c.path.empty()) throw std::invalid_argument("fit: FitOptions::checkpoint needs a path");
    // Found now, not after the first epoch has trained.
    for (const std::string* p : {&c.path, &c.best_path}) {
      if (p->empty()) continue;
      const auto dir = std::filesystem::path(*p).parent_path();
      const std::string d = dir.empty() ? std::string(".") : dir.string();
      if (!std::filesystem::is_directory(d))
        throw std::invalid_argument("fit: checkpoint file '" + *p + "' is in '" + d +
                                    "', which is not a directory; create it first");
      if (std::filesystem::is_directory(*p))
        throw std::invalid_argument("fit: checkpoint file '" + *p + "' is a directory");
    }
    if (c.every_epochs == 0)
      throw std::invalid_argument("fit: checkpoint.every_epochs must be at least 1");
    if (c.monitor != "val_loss" && c.monitor != "loss" && c.monitor != "val_accuracy" &&
        c.monitor != "accuracy")
      throw std::invalid_argument("fit: checkpoint.monitor is '" + c.monitor +
                                  "'; use val_loss, loss, val_accuracy or accuracy");
    if (!c.best_path.empty() && c.monitor.starts_with("val_") && !has_validation)
      throw std::invalid_argument("fit: checkpoint.monitor is " + c.monitor +
                                  " but fit has no validation data; give "
                                  "FitOptions::validation or monitor loss");
    if (!c.best_path.empty() && c.best_path == c.path)
      throw std::invalid_argument("fit: checkpoint.best_path must differ from checkpoint.path");
  }
  static double monitored_value(const EpochLogs& e, const std::string& monitor) {
    return monitor == "loss"       ? e.loss
           : monitor == "val_loss" ? e.val_loss
           : monitor == "accuracy" ? e.accuracy
                                   : e.val_accuracy;
  }
  static bool better(double value, double best, const std::string& monitor) {
    if (std::isnan(value)) return false;
    if (std::isnan(best)) return true;
    return monitor.ends_with("accuracy") ? value > best : value < best;
  }

  template <class D>
  void check_resume(const detail::TrainingState<T>& s, const std::string& path, std::size_t samples,
                    std::uint64_t fingerprint, const FitOptions<D>& options,
                    const std::string& hint) {
    auto refuse = [&](const std::string& why) {
      throw std::invalid_argument("fit: cannot resume from '" + path + "': " + why + hint);
    };
    if (s.samples != samples)
      refuse("it was written for " + std::to_string(s.samples) +
             " training samples, this fit has " + std::to_string(samples) +
             "; resume with the same training data");
    if (s.data_fingerprint != fingerprint)
      refuse("it was written for other training data (the same " + std::to_string(samples) +
             " samples in number, but other values or another order); resume with the same "
             "data");
    if (s.epoch > options.epochs)
      refuse("it is at epoch " + std::to_string(s.epoch) + ", beyond FitOptions::epochs = " +
             std::to_string(options.epochs) + "; give epochs >= " + std::to_string(s.epoch));
    if (s.batch_size != std::min(options.batch_size, samples))
      refuse("it was written with batch_size " + std::to_string(s.batch_size) + ", this fit uses " +
             std::to_string(std::min(options.batch_size, samples)) +
             "; resume with the same batch size");
    if (s.shuffle != options.shuffle)
      refuse(std::string("it was written with shuffle ") + (s.shuffle ? "on" : "off") +
             "; resume with the same setting");
    if (s.settings.index() != optimizer_.settings().index())
      refuse(std::string("it was written by the ") + optim::name(s.settings) +
             " optimizer, this model uses " + optimizer_.name());
    if (s.body_generators.size() != save_body_generators(body_).size())
      refuse("its random generators do not match this model's layers");
    if (s.threads != threads() && options.verbose != Verbosity::silent)
      std::cerr << "fit: '" << path << "' was written by a run on " << s.threads
                << " thread(s), this one uses " << threads()
                << ": the resumed run continues correctly but differs in the last bits from an "
                   "uninterrupted one (batches are split differently)\n";
  }

  unsigned threads() const {
    if constexpr (threaded_backend)
      return backend_.threads();
    else
      return 1;
  }
  static std::vector<Rng::State> save_body_generators(Body& body) {
    std::vector<Rng::State> out;
    body.visit_generators([&](Rng& g) { out.push_back(g.state()); });
    return out;
  }
  static void restore_body_generators(Body& body, const std::vector<Rng::State>& states) {
    std::size_t i = 0;
    body.visit_generators([&](Rng& g) {
      if (i < states.size()) g.set_state(states[i]);
      ++i;
    });
  }
  struct Generators {
    Rng::State model;
    std::vector<Rng::State> body;
    std::vector<std::vector<Rng::State>> replicas;
  };
  Generators save_generators() {
    Generators g{rng_.state(), save_body_generators(body_), {}};
    for (auto& r : replicas_) g.replicas.push_back(save_body_generators(r->body));
    return g;
  }
  void restore_generators(const Generators& g) {
    rng_.set_state(g.model);
    restore_body_generators(body_, g.body);
    if constexpr (threaded_backend) prepare_replicas(unsigned(g.replicas.size()));
    for (std::size_t i = 0; i < g.replicas.size() && i < replicas_.size(); ++i)
      restore_body_generators(replicas_[i]->body, g.replicas[i]);
  }

  detail::TrainingState<T> capture_state(std::size_t epoch, std::size_t batch, bool shuffle,
                                         const detail::TrainingMonitor& monitor,
                                         const History& history, const BestWeights& best,
                                         double best_monitored) {
    detail::TrainingState<T> s;
    s.params.assign(params_.begin(), params_.end());
    s.state.assign(state_.begin(), state_.end());
    s.settings = optimizer_.settings();
    s.optimizer_step = optimizer_.steps();
    for (int i = 0; i < 2; ++i)
      s.moments[i].assign(optimizer_.state_array(i).begin(), optimizer_.state_array(i).end());
    s.epoch = epoch;
    s.threads = threads();
    s.global_step = global_step_;
    s.batch_size = batch;
    s.samples = order_.size();
    s.shuffle = shuffle;
    s.seed = seed_;
    s.first_loss = monitor.first_loss();
    s.monitored_steps = monitor.steps();
    const Generators g = save_generators();
    s.model_rng = g.model;
    s.body_generators = g.body;
    s.replica_generators = g.replicas;
    s.order.assign(order_.begin(), order_.end());
    s.history = history.epochs;
    s.early_score = best.score;
    s.early_epoch = best.epoch;
    s.early_waited = best.waited;
    s.early_params.assign(best.params.begin(), best.params.end());
    s.early_state.assign(best.state.begin(), best.state.end());
    s.best_monitored = best_monitored;
    return s;
  }

  void apply_resume(const detail::TrainingState<T>& s, BestWeights& best) {
    std::copy(s.params.begin(), s.params.end(), params_.begin());
    std::copy(s.state.begin(), s.state.end(), state_.begin());
    const T* moments[2] = {s.moments[0].data(), s.moments[1].data()};
    if (s.moments[0].size() == parameter_count && s.moments[1].size() == parameter_count)
      optimizer_.restore(s.settings, s.optimizer_step, moments, parameter_count);
    else
      optimizer_.reserve(parameter_count);
    global_step_ = s.global_step;
    seed_ = s.seed;
    restore_generators({s.model_rng, s.body_generators, s.replica_generators});
    std::copy(s.order.begin(), s.order.end(), order_.begin());
    best.score = s.early_score;
    best.epoch = s.early_epoch;
    best.waited = s.early_waited;
    if (s.early_params.size() == parameter_count) {
      best.params.resize(parameter_count);
      std::copy(s.early_params.begin(), s.early_params.end(), best.params.begin());
    }
    if (s.early_state.size() == state_count) {
      best.state.resize(state_count);
      std::copy(s.early_state.begin(), s.early_state.end(), best.state.begin());
    }
  }

  // The data checks every pass over a dataset makes, at their default levels: a class index out
  // of range would index outside the output, and NaN inputs make every loss NaN.
  template <class D>
  static void check_usable(const D& data, const std::string& role) {
    GuardPolicy policy;
    GuardReport report;
    detail::GuardSink sink(policy, report);
    detail::check_nonfinite(data, role, sink);
    detail::check_labels(data, role, sink);
  }

  template <class D>
  void check_data_guards(const D& train, const D* validation, std::size_t batch,
                         detail::GuardSink& sink) {
    const bool index_rows =
        sink.on(guard::data_duplicates) || (validation && sink.on(guard::data_leakage));
    auto scan = detail::scan_rows(train, sink.on(guard::data_nonfinite), index_rows);
    detail::check_nonfinite(train, "training", sink, scan.nonfinite);
    detail::check_labels(train, "training", sink);
    detail::check_features(train, "training", true, sink);
    detail::RowIndex rows;
    if (index_rows) rows = detail::check_duplicates(train, "training", sink, std::move(scan.index));
    detail::check_imbalance(train, "training", sink);
    if (validation) {
      detail::check_nonfinite(*validation, "validation", sink);
      detail::check_labels(*validation, "validation", sink);
      detail::check_features(*validation, "validation", false, sink);
      detail::check_leakage(train, rows, *validation, "validation", sink);
    }
    detail::check_memory(memory_use(batch), batch, sink);
  }

  // What fit holds for a batch: the batch's inputs, outputs and output gradients, and the layer
  // buffers of one micro-batch per thread (of the whole batch where samples are coupled).
  detail::MemoryUse memory_use(std::size_t batch) const {
    const unsigned parts = parts_for(batch, Mode::training);
    const std::size_t layers = Body::cache_per_sample * sizeof(T);
    detail::MemoryUse use{
        training_state_bytes + (parts > 1 ? parts : 0) * parameter_count * sizeof(T),
        (input_shape::size + 2 * output_shape::size) * sizeof(T), layers,
        std::numeric_limits<std::size_t>::max()};
    if constexpr (splits_training_batches)
      use.layer_cap = parts * piece_size((batch + parts - 1) / parts, Mode::training, parts);
    return use;
  }

  // ln K for a K-class cross-entropy (ln 2 for binary): the loss of uniform predictions.
  static double expected_first_loss() {
    if constexpr (Loss::family == loss::Family::categorical ||
                  Loss::family == loss::Family::sparse_categorical)
      return std::log(double(output_shape::size));
    else if constexpr (Loss::family == loss::Family::binary)
      return std::log(2.0);
    else
      return NAN;
  }

  // Slices of the flat gradient for the first and last parameterised layers, and scratch for
  // update ratios: sized once, so sampled steps allocate nothing.
  void prepare_sampling() {
    if (!grad_slices_.empty()) return;
    std::size_t offset = 0;
    for (const auto& r : records()) {
      if (r.container || r.parameters == 0) continue;
      grad_slices_.push_back({offset, r.parameters, "layer " + r.path + " (" + r.kind + ")"});
      offset += r.parameters;
    }
    previous_params_.resize(parameter_count);
    for (const auto& r : records())
      if (r.depth == 0) top_level_names_.push_back("layer " + r.path + " (" + r.kind + ")");
  }
  template <class D>
  Evaluation evaluate_checked(const D& data, std::size_t batch_size) {
    if (data.size() == 0) throw std::invalid_argument("evaluate: the dataset is empty");
    check_usable(data, "evaluation");
    const std::size_t batch = std::max<std::size_t>(1, std::min(batch_size, data.size()));
    reserve_common(batch);
    std::array<double, max_parts> loss_sum{};
    std::array<std::size_t, max_parts> correct{};
    for (std::size_t start = 0; start < data.size(); start += batch) {
      const std::size_t count = std::min(batch, data.size() - start);
      // Samples are contiguous in the dataset: read them in place.
      inference_pass(data.input(start), out_.data(), count,
                     [&](Body& body, Backend& backend, std::size_t s, std::size_t c, unsigned p) {
                       const T* y = out_.data() + s * output_shape::size;
                       const auto* t = data.label(start + s);
                       loss_sum[p] += backend.template loss<ComputedLoss>(
                           fused ? body.logits() : y, t, static_cast<T*>(nullptr),
                           output_shape::size, D::label_width, c, c);
                       correct[p] += count_correct<D>(backend, y, t, c);
                     });
    }
    const double n = double(data.size());
    const double loss = std::accumulate(loss_sum.begin(), loss_sum.end(), 0.0);
    const auto right = std::accumulate(correct.begin(), correct.end(), std::size_t{0});
    return {loss / n, has_accuracy<D> ? double(right) / n : NAN};
  }

  static constexpr bool fused = loss::fuses_with<Loss, OutputActivation>;
  using ComputedLoss = std::conditional_t<fused, loss::FromLogits<Loss>, Loss>;

  template <class D>
  static constexpr bool has_accuracy = D::labels_type::kind != LabelKind::real;
  // Binary predictions are positive above 0.5 for probabilities, above 0 for logits.
  static constexpr T binary_threshold = std::is_same_v<OutputActivation, Sigmoid> ? T(0.5) : T(0);

  template <class D>
  Buffer<typename D::label_value>& labels() {
    if constexpr (std::is_same_v<typename D::label_value, std::int32_t>)
      return int_labels_;
    else
      return real_labels_;
  }

  void reserve_common(std::size_t batch) {
    if (batch <= reserved_) return;
    x_.resize(batch * input_shape::size);
    out_.resize(batch * output_shape::size);
    dout_.resize(batch * output_shape::size);
    reserved_ = batch;
  }
  template <class D>
  void reserve(std::size_t batch) {
    reserve_common(batch);
    labels<D>().resize(std::max(labels<D>().size(), batch * D::label_width));
  }

  template <class D>
  void gather(const D& data, std::span<const std::size_t> rows) {
    auto* t = labels<D>().data();
    for (std::size_t i = 0; i < rows.size(); ++i) {
      backend_.copy(data.input(rows[i]), x_.data() + i * input_shape::size, input_shape::size);
      std::copy_n(data.label(rows[i]), D::label_width, t + i * D::label_width);
    }
  }

  template <class D>
  std::size_t count_correct(Backend& backend, const T* y, const typename D::label_value* labels,
                            std::size_t n) {
    if constexpr (!has_accuracy<D>)
      return 0;
    else
      return backend.template count_correct<typename D::labels_type>(y, labels, output_shape::size,
                                                                     n, binary_threshold);
  }

  template <class D>
  std::pair<double, std::size_t> train_step(std::size_t n,
                                            detail::TrainingMonitor* monitor = nullptr,
                                            std::size_t epoch = 0, std::size_t step = 0) {
    const bool sample = monitor && monitor->sampling(global_step_);
    const bool sample_update = monitor && monitor->sampling_updates(global_step_);
    ++global_step_;
    const unsigned parts = parts_for(n, Mode::training);
    const double loss =
        split_gradient_pass<D>(n, Mode::training, parts, sample ? monitor : nullptr);
    if (monitor) monitor->loss(epoch, step, loss / double(n));
    if (parts > 1 && !sample && !sample_update) {
      sum_replica_gradients(parts, /*update=*/true);  // one parallel pass: sum, then step
    } else {
      if (parts > 1) sum_replica_gradients(parts, false);
      if (sample) watch_gradients(*monitor, epoch, step);
      if (sample_update) std::copy(params_.begin(), params_.end(), previous_params_.begin());
      optimizer_.step(backend_, params_.data(), grads_.data(), parameter_count);
      if (sample_update) monitor->update_ratio(update_ratio());
    }
    return {loss, count_correct<D>(backend_, out_.data(), labels<D>().data(), n)};
  }

  // --- Micro-batches and threads ---------------------------------------------------------------
  // A batch is split across the backend's threads, each part on its own replica of the network's
  // buffers (sharing the parameters, with gradients of its own), and each part runs through the
  // network in micro-batches whose per-sample buffers fit the backend's working set, so they stay
  // in cache. Parameter gradients add up over micro-batches and parts: the result is the
  // whole-batch gradient. A model whose layers couple the samples of a batch
  // (BatchNormalization) trains on whole batches, its backend's ops splitting the work instead.
  static constexpr bool splits_training_batches = !Body::couples_samples;
  static constexpr bool threaded_backend = requires(Backend & b, void (&job)(unsigned)) {
    b.threads();
    b.run_parts(1u, job);
  };
  static constexpr unsigned max_parts = 8;
  static constexpr std::size_t bytes_per_sample =
      std::max<std::size_t>(1, Body::cache_per_sample * sizeof(T));

  // Samples per micro-batch for a part of n samples: equal pieces, the parts' pieces together
  // within the backend's working set.
  std::size_t piece_size(std::size_t n, Mode mode, unsigned parts) const {
    if (mode == Mode::training && !splits_training_batches) return n;
    if constexpr (requires { backend_.working_set_bytes(); }) {
      const std::size_t limit =
          std::max<std::size_t>(1, backend_.working_set_bytes() / (bytes_per_sample * parts));
      const std::size_t pieces = (n + limit - 1) / limit;
      return pieces ? (n + pieces - 1) / pieces : n;
    } else {
      return n;
    }
  }
  unsigned parts_for(std::size_t n, Mode mode) const {
    if constexpr (threaded_backend) {
      if (mode == Mode::training && !splits_training_batches) return 1;
      return unsigned(std::clamp<std::size_t>(std::min<std::size_t>(backend_.threads(), max_parts),
                                              1, std::max<std::size_t>(n, 1)));
    } else {
      return 1;
    }
  }

  // One replica per part of a split batch: its own layer buffers, gradients and single-threaded
  // backend (the model's own body and backend serve unsplit batches).
  struct Replica {
    Body body;
    Buffer<T> own_grads;  // replica 0 writes the model's grads_ instead
    T* grads = nullptr;
    Backend backend{1u};
    std::size_t reserved = 0;
  };
  void prepare_replicas(unsigned parts) {
    while (replicas_.size() < parts) {
      auto r = std::make_unique<Replica>();
      if (replicas_.empty()) {
        r->grads = grads_.data();
      } else {
        r->own_grads.resize(parameter_count);
        r->grads = r->own_grads.data();
      }
      // Seeds the replica's own random layers (Dropout) without writing the shared weights.
      Buffer<T> scratch(parameter_count), scratch_state(state_count);
      ParameterSlots<T> seeding{scratch.data(), r->grads, scratch_state.data()};
      r->body.attach(seeding);
      Rng rng(seed_ + 0x9E3779B97F4A7C15ull * (replicas_.size() + 1));
      r->body.initialize(rng);
      ParameterSlots<T> shared{params_.data(), r->grads, state_.data()};
      r->body.attach(shared);
      replicas_.push_back(std::move(r));
    }
  }
  static void reserve_body(Body& body, std::size_t& reserved, std::size_t piece) {
    if (piece <= reserved) return;
    body.reserve(piece);
    reserved = piece;
  }

  // fn(body, backend, grads, first sample, count, part) for each of `parts` (parts_for) parts of
  // n samples; returns the sum of what fn returns.
  template <class Fn>
  double for_parts(std::size_t n, Mode mode, unsigned parts, Fn&& fn) {
    if (parts == 1) {
      reserve_body(body_, body_reserved_, piece_size(n, mode, 1));
      return fn(body_, backend_, grads_.data(), std::size_t{0}, n, 0u);
    }
    std::array<double, max_parts> results{};
    if constexpr (threaded_backend) {
      prepare_replicas(parts);
      auto job = [&](unsigned p) {
        Replica& r = *replicas_[p];
        const std::size_t begin = n * p / parts, end = n * (p + 1) / parts;
        reserve_body(r.body, r.reserved, piece_size(end - begin, mode, parts));
        results[p] = fn(r.body, r.backend, r.grads, begin, end - begin, p);
      };
      backend_.run_parts(parts, job);
    }
    return std::accumulate(results.begin(), results.end(), 0.0);
  }

  // Forward and backward over the n gathered samples (x_, labels): the gradient of the mean loss
  // over all n lands in grads_. Returns the summed loss. `watch` sees part 0's activations.
  template <class D>
  double gradient_pass(std::size_t n, Mode mode, detail::TrainingMonitor* watch) {
    const unsigned parts = parts_for(n, mode);
    const double loss = split_gradient_pass<D>(n, mode, parts, watch);
    if (parts > 1) sum_replica_gradients(parts, false);
    return loss;
  }
  // The same over `parts` parts, leaving a split batch's gradients in the replicas
  // (sum_replica_gradients adds them up).
  template <class D>
  double split_gradient_pass(std::size_t n, Mode mode, unsigned parts,
                             detail::TrainingMonitor* watch) {
    const double loss =
        for_parts(n, mode, parts,
                  [&](Body& body, Backend& backend, T* grads, std::size_t begin, std::size_t count,
                      unsigned part) {
                    backend.fill(grads, T(0), parameter_count);
                    const std::size_t piece = piece_size(count, mode, parts);
                    double sum = 0;
                    for (std::size_t s = begin; s < begin + count; s += piece) {
                      const std::size_t c = std::min(piece, begin + count - s);
                      const T* x = x_.data() + s * input_shape::size;
                      T* y = out_.data() + s * output_shape::size;
                      T* dy = dout_.data() + s * output_shape::size;
                      body.forward(backend, x, y, c, mode);
                      sum += backend.template loss<ComputedLoss>(
                          fused ? body.logits() : y, labels<D>().data() + s * D::label_width, dy,
                          output_shape::size, D::label_width, c, n);
                      if (watch && part == 0) watch_activations(*watch, body, x, y, c);
                      if constexpr (fused)
                        body.backward_from_logits(backend, x, dy, nullptr, c);
                      else
                        body.backward(backend, x, y, dy, nullptr, c);
                    }
                    return sum;
                  });
    return loss;
  }
  // grads_ (replica 0's) += the other replicas' gradients, each thread taking a range of
  // parameters; with `update`, each thread then applies the optimizer step to its range while
  // it is in cache.
  void sum_replica_gradients(unsigned parts, bool update) {
    if constexpr (threaded_backend) {
      if (update) optimizer_.begin_step();
      auto job = [&](unsigned p) {
        // Range bounds on 64-byte lines, so no two threads write the same line.
        constexpr std::size_t line = 64 / sizeof(T);
        auto bound = [&](unsigned q) {
          return q == parts ? parameter_count : parameter_count * q / parts / line * line;
        };
        const std::size_t i0 = bound(p), i1 = bound(p + 1);
        T* out = grads_.data();  // already replica 0's gradients
        for (unsigned q = 1; q < parts; ++q) {
          const T* in = replicas_[q]->grads;
          for (std::size_t i = i0; i < i1; ++i) out[i] += in[i];
        }
        if (update) optimizer_.update(replicas_[p]->backend, params_.data(), out, i0, i1 - i0);
      };
      backend_.run_parts(parts, job);
    }
  }

  // Forward over n samples from x into y, split like training; after(body, backend, first
  // sample, count, part) follows each micro-batch (the body then holds its logits).
  template <class After>
  void inference_pass(const T* x, T* y, std::size_t n, After&& after) {
    const unsigned parts = parts_for(n, Mode::inference);
    for_parts(
        n, Mode::inference, parts,
        [&](Body& body, Backend& backend, T*, std::size_t begin, std::size_t count, unsigned part) {
          const std::size_t piece = piece_size(count, Mode::inference, parts);
          for (std::size_t s = begin; s < begin + count; s += piece) {
            const std::size_t c = std::min(piece, begin + count - s);
            body.forward(backend, x + s * input_shape::size, y + s * output_shape::size, c,
                         Mode::inference);
            after(body, backend, s, c, part);
          }
          return 0.0;
        });
  }

  void watch_activations(detail::TrainingMonitor& monitor, const Body& body, const T* x,
                         const T* out, std::size_t n) {
    body.visit_outputs(
        x, out,
        [&](std::size_t layer, auto activation, const T* y, std::size_t per_sample,
            std::size_t last) {
          using A = typename decltype(activation)::type;
          constexpr auto kind = std::is_same_v<A, ReLU>      ? detail::WatchedActivation::relu
                                : std::is_same_v<A, Sigmoid> ? detail::WatchedActivation::sigmoid
                                : std::is_same_v<A, Tanh>    ? detail::WatchedActivation::tanh
                                                             : detail::WatchedActivation::none;
          if constexpr (kind != detail::WatchedActivation::none)
            monitor.activations(layer, top_level_names_[layer], kind, y, n * per_sample, last);
        });
  }
  void watch_gradients(detail::TrainingMonitor& monitor, std::size_t epoch, std::size_t step) {
    if (grad_slices_.empty()) return;
    auto rms = [&](const GradSlice& s) {
      double sum = 0;
      for (std::size_t i = 0; i < s.count; ++i)
        sum += double(grads_[s.offset + i]) * grads_[s.offset + i];
      return std::sqrt(sum / double(s.count));
    };
    monitor.gradients(epoch, step, rms(grad_slices_.front()), rms(grad_slices_.back()),
                      grad_slices_.front().name, grad_slices_.back().name);
  }
  double update_ratio() const {
    double change = 0, size = 0;
    for (std::size_t i = 0; i < parameter_count; ++i) {
      const double d = double(params_[i]) - previous_params_[i];
      change += d * d;
      size += double(previous_params_[i]) * previous_params_[i];
    }
    return size > 0 ? std::sqrt(change / size) : 0.0;
  }

  void apply_learning_rate(const TrainingControl& c, detail::TrainingMonitor& monitor) {
    if (c.learning_rate == optimizer_.learning_rate()) return;
    try {
      optimizer_.set_learning_rate(c.learning_rate);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(
          std::string("fit: a callback set TrainingControl::learning_rate: ") + e.what());
    }
    monitor.set_learning_rate(c.learning_rate);
  }

  Body body_;
  Buffer<T> params_, grads_, state_;
  optim::Optimizer<T> optimizer_;
  Backend backend_;
  Rng rng_;
  Buffer<T> x_, out_, dout_;
  Buffer<std::int32_t> int_labels_;
  Buffer<T> real_labels_;
  std::vector<std::size_t> order_;
  std::size_t reserved_ = 0;
  // Micro-batches and threads.
  std::size_t body_reserved_ = 0;
  std::vector<std::unique_ptr<Replica>> replicas_;
  std::uint64_t seed_ = 42;
  // Guards' sampling state.
  struct GradSlice {
    std::size_t offset, count;
    std::string name;
  };
  std::vector<GradSlice> grad_slices_;
  std::vector<std::string> top_level_names_;
  Buffer<T> previous_params_;
  std::size_t global_step_ = 0;
};

}  // namespace tensorguard
