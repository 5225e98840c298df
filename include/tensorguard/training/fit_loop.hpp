// fit's loop: epochs of shuffled batches through the model's training step, with validation,
// callbacks, early stopping, learning-rate changes, the guards' epoch rules and checkpoints.
// The model supplies storage and the step (Model::fit calls fit_loop); the checks of
// checkpoint options live here too.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "../detail/config.hpp"
#include "../detail/file_io.hpp"
#include "../losses/mean_absolute_error.hpp"
#include "../losses/mean_squared_error.hpp"
#include "../model/checkpoint.hpp"
#include "early_stopping.hpp"
#include "fit_options.hpp"

namespace tensorguard::detail {

template <class D>
void check_fit_options(const D& train, const FitOptions<D>& options) {
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

// Each training row's weight: class_weight[its class] * sample_weight[row]; empty without
// weights. Refuses weights that cannot be meant (wrong count, negative, NaN, all zero).
template <class D>
std::vector<typename D::scalar> row_weights(const D& train, const FitOptions<D>& options) {
  using L = typename D::labels_type;
  constexpr bool classes = L::kind == LabelKind::class_index || L::kind == LabelKind::one_hot ||
                           L::kind == LabelKind::binary;
  const auto& cw = options.class_weight;
  const auto& sw = options.sample_weight;
  if (cw.empty() && sw.empty()) return {};
  auto check = [](const std::vector<double>& w, const char* what) {
    for (std::size_t i = 0; i < w.size(); ++i)
      if (!(w[i] >= 0) || !std::isfinite(w[i]))
        throw std::invalid_argument(std::string("fit: FitOptions::") + what + "[" +
                                    std::to_string(i) + "] is " + fmt(w[i]) +
                                    "; weights must be finite and at least 0");
  };
  check(cw, "class_weight");
  check(sw, "sample_weight");
  if (!cw.empty()) {
    if (!classes)
      throw std::invalid_argument(
          "fit: FitOptions::class_weight needs class labels (ClassIndex, OneHot or Binary), "
          "these are " +
          L::name() + "; weight the rows with FitOptions::sample_weight instead");
    if (cw.size() != L::classes)
      throw std::invalid_argument("fit: FitOptions::class_weight has " + std::to_string(cw.size()) +
                                  (cw.size() == 1 ? " weight" : " weights") + " for " +
                                  std::to_string(L::classes) + " classes (" + L::name() +
                                  "); give one weight per class, in class order");
  }
  if (!sw.empty() && sw.size() != train.size())
    throw std::invalid_argument("fit: FitOptions::sample_weight has " + std::to_string(sw.size()) +
                                (sw.size() == 1 ? " weight" : " weights") + " for " +
                                std::to_string(train.size()) +
                                " training rows; give one weight per row");
  std::vector<typename D::scalar> w(train.size());
  double total = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    double v = sw.empty() ? 1.0 : sw[i];
    if constexpr (classes)
      if (!cw.empty()) v *= cw[class_of_label<L>(train.label(i))];
    w[i] = typename D::scalar(v);
    total += v;
  }
  if (!(total > 0))
    throw std::invalid_argument(
        "fit: every training row has weight 0 (class_weight x sample_weight), so nothing would "
        "be learned; give some rows a positive weight");
  return w;
}

#if TG_HEADER_DEFINITIONS
TG_OUT_OF_LINE void check_checkpoint_options(const CheckpointOptions& c, bool has_validation) {
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
#else
void check_checkpoint_options(const CheckpointOptions& c, bool has_validation);
#endif
inline double monitored_value(const EpochLogs& e, const std::string& monitor) {
  return monitor == "loss"       ? e.loss
         : monitor == "val_loss" ? e.val_loss
         : monitor == "accuracy" ? e.accuracy
                                 : e.val_accuracy;
}
inline bool better(double value, double best, const std::string& monitor) {
  if (std::isnan(value)) return false;
  if (std::isnan(best)) return true;
  return monitor.ends_with("accuracy") ? value > best : value < best;
}

template <class Mdl, class D>
History fit_epochs(Mdl& m, const D& train, const FitOptions<D>& options, History& history);

// How the best constant prediction is made, for messages.
template <class D>
std::string constant_prediction_name(const D& train) {
  constexpr LabelKind kind = D::labels_type::kind;
  if constexpr (kind == LabelKind::multi_hot) {
    return "always predicting each label's frequency";
  } else if constexpr (kind != LabelKind::real && kind != LabelKind::probability) {
    return "always predicting the class frequencies";
  } else {
    double mean = 0, square = 0;
    const auto labels = train.labels();
    for (auto v : labels) mean += double(v), square += double(v) * double(v);
    const double n = double(std::max<std::size_t>(labels.size(), 1));
    mean /= n;
    const double sd = std::sqrt(std::max(0.0, square / n - mean * mean));
    return "always predicting the targets' mean (the targets have mean " + fmt(mean) + " and std " +
           fmt(sd) + ")";
  }
}

// The best constant prediction fitted on the training labels, which a model that learned
// nothing from its inputs reaches: the class frequencies (cross-entropies), the targets' mean
// (mean squared error) or median (mean absolute error); and its loss on `on` (the training data,
// or the validation data, whose own labels may be distributed a little differently). NaN where
// unknown (Huber).
template <class Loss, class D>
double constant_prediction_loss(const D& train, const D& on) {
  const std::size_t n = train.size(), m = on.size(), w = D::label_width;
  if (n == 0 || m == 0) return NAN;
  auto log_of = [](double p) { return std::log(std::max(p, 1e-7)); };
  if constexpr (Loss::family == loss::Family::sparse_categorical) {
    std::vector<double> p(D::labels_type::classes);
    for (std::size_t i = 0; i < n; ++i)
      if (const auto k = std::size_t(train.label(i)[0]); k < p.size()) p[k] += 1.0 / double(n);
    double loss = 0;
    for (std::size_t i = 0; i < m; ++i)
      if (const auto k = std::size_t(on.label(i)[0]); k < p.size()) loss -= log_of(p[k]);
    return loss / double(m);
  } else {
    std::vector<double> c(w);  // the constant: mean, or median for MAE
    std::vector<double> column(n);
    for (std::size_t j = 0; j < w; ++j) {
      for (std::size_t i = 0; i < n; ++i) column[i] = double(train.label(i)[j]);
      if constexpr (std::is_same_v<Loss, loss::MeanAbsoluteError>) {
        std::nth_element(column.begin(), column.begin() + std::ptrdiff_t(n / 2), column.end());
        c[j] = column[n / 2];
      } else {
        for (double v : column) c[j] += v / double(n);
      }
    }
    double loss = 0;
    for (std::size_t i = 0; i < m; ++i)
      for (std::size_t j = 0; j < w; ++j) {
        const double t = double(on.label(i)[j]);
        if constexpr (Loss::family == loss::Family::categorical)
          loss -= t * log_of(c[j]);
        else if constexpr (Loss::family == loss::Family::binary)
          loss -= t * log_of(c[j]) + (1 - t) * log_of(1 - c[j]);
        else if constexpr (std::is_same_v<Loss, loss::MeanSquaredError>)
          loss += (t - c[j]) * (t - c[j]);
        else if constexpr (std::is_same_v<Loss, loss::MeanAbsoluteError>)
          loss += std::abs(t - c[j]);
        else
          return NAN;
      }
    // Per sample for the categorical ones; per output as well for the others (as the losses).
    return Loss::family == loss::Family::categorical ? loss / double(m) : loss / double(m * w);
  }
}

// Model m's fit after the static checks. A GuardStop leaves with the epochs trained so far.
template <class Mdl, class D>
History fit_loop(Mdl& m, const D& train, const FitOptions<D>& options) {
  History history;
  try {
    return fit_epochs(m, train, options, history);
  } catch (GuardStop& stop) {
    stop.epochs = history.epochs;
    throw;
  }
}

template <class Mdl, class D>
History fit_epochs(Mdl& m, const D& train, const FitOptions<D>& options, History& history) {
  using T = typename Mdl::scalar;
  check_fit_options(train, options);
  check_metrics<typename D::labels_type>(options.metrics, "fit: FitOptions::metrics", true);
  check_augmentation<typename D::input_shape>(options.augment);
  if (options.early_stopping)
    check_monitor(options.early_stopping->monitor, options.metrics,
                  has_classes<typename D::labels_type> ? D::labels_type::classes : 0,
                  D::labels_type::kind != LabelKind::real);
  const CheckpointOptions* checkpoint = options.checkpoint ? &*options.checkpoint : nullptr;
  if (checkpoint) check_checkpoint_options(*checkpoint, options.validation.has_value());
  // A checkpoint to continue from: read and checked whole before anything changes.
  std::optional<TrainingState<T>> resume;
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
      resume = read_checkpoint<T>(resume_path, Mdl::records(), Mdl::parameter_count,
                                  Mdl::state_count, who);
    } catch (const WeightsMismatch& e) {
      throw WeightsMismatch(e.what() + hint);
    }
    m.check_resume(*resume, resume_path, train.size(), fingerprint, options, hint);
    if (resume->epoch == options.epochs && options.verbose != Verbosity::silent)
      std::cout << "fit: '" << resume_path << "' is at epoch " << resume->epoch << " of "
                << options.epochs << ": nothing is left to train\n";
  }
  if (!resume) m.require_adapted("fit");  // a checkpoint brings its own statistics

  m.guard_policy() = options.guards;  // evaluate and predict judge later data at these levels
  GuardSink sink(options.guards, history.guards, options.verbose != Verbosity::silent);
  const std::size_t n = train.size();
  const std::size_t batch = std::min(options.batch_size, n);
  const std::vector<T> weights = row_weights(train, options);
  m.check_data_guards(train, options.validation ? &options.validation->get() : nullptr, batch, sink,
                      weights);

  const std::size_t steps = (n + batch - 1) / batch;
  auto batches = m.training_batches(weights.empty() ? nullptr : &weights,
                                    options.augment.any() ? &options.augment : nullptr);
  m.template prepare_training<D>(batch, n);
  m.keep_training_data_on_device(train);
  typename Mdl::Best best;
  double best_monitored = NAN;
  std::size_t first_epoch = 1;
  if (resume) {
    m.apply_resume(*resume, best);
    history.epochs = resume->history;
    best_monitored = resume->best_monitored;
    first_epoch = resume->epoch + 1;
  }
  auto& optimizer = m.optimizer();
  // Weighted, the first loss is the unweighted one times the mean weight; the constant
  // prediction's training loss is not known then (validation stays unweighted).
  double mean_weight = 1;
  if (!weights.empty()) {
    mean_weight = 0;
    for (const T w : weights) mean_weight += double(w) / double(weights.size());
  }
  TrainingMonitor monitor(sink, Mdl::expected_first_loss() * mean_weight, optimizer.name(),
                          optimizer.learning_rate());
  if (!options.guards.all_off() && sink.on(guard::train_no_signal))
    monitor.set_constant_prediction(
        weights.empty() ? constant_prediction_loss<typename Mdl::loss_type>(train, train) : NAN,
        options.validation
            ? constant_prediction_loss<typename Mdl::loss_type>(train, options.validation->get())
            : NAN,
        constant_prediction_name(train));
  if (resume) {
    monitor.replay_first_loss(resume->first_loss, resume->monitored_steps);
    for (const auto& e : history.epochs) monitor.replay_epoch(e.epoch, e.loss, e.val_loss);
  }
  const bool guarded = !options.guards.all_off();
  if (guarded) m.prepare_probe();

  auto apply_learning_rate = [&](const TrainingControl& c) {
    if (c.learning_rate == optimizer.learning_rate()) return;
    try {
      optimizer.set_learning_rate(c.learning_rate);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(
          std::string("fit: a callback set TrainingControl::learning_rate: ") + e.what());
    }
    monitor.set_learning_rate(c.learning_rate);
  };

  ProgressDisplay progress(options.verbose);
  TrainingControl control{false, optimizer.learning_rate()};
  // A run that early stopping had already ended stays ended.
  if (resume && options.early_stopping && best.epoch != 0 &&
      best.waited >= options.early_stopping->patience)
    control.stop = true;
  constexpr bool has_accuracy = D::labels_type::kind != LabelKind::real;
  auto train_metrics = m.template metric_accumulator<D>(options.metrics);
  auto val_metrics = m.template metric_accumulator<D>(options.metrics);
  control.epoch = first_epoch;
  for (auto& cb : options.callbacks)
    if (cb.on_train_begin) cb.on_train_begin(control);
  apply_learning_rate(control);
  for (std::size_t epoch = first_epoch; epoch <= options.epochs && !control.stop; ++epoch) {
    control.epoch = epoch;
    if (options.shuffle) m.shuffle_order();
    progress.start_epoch(epoch, options.epochs, steps, has_accuracy);
    double loss_sum = 0, correct = 0;
    std::size_t seen = 0;
    if (!train_metrics.empty()) train_metrics.reset(n);
    for (std::size_t step = 0; step < steps && !control.stop; ++step) {
      const std::size_t count = std::min(batch, n - step * batch);
      m.gather_order(train, step * batch, count);
      const auto [batch_loss, batch_correct] =
          m.template train_step<D>(count, guarded ? &monitor : nullptr, epoch, step + 1);
      loss_sum += batch_loss;
      correct += batch_correct;
      if (!train_metrics.empty()) m.add_batch_outputs(train_metrics, train, step * batch, count);
      seen += count;
      progress.step(step + 1, loss_sum / double(seen), correct / double(seen));
      for (auto& cb : options.callbacks)
        if (cb.on_batch_end) cb.on_batch_end(step, batch_loss / double(count), control);
      apply_learning_rate(control);
    }
    EpochLogs logs;
    logs.epoch = epoch;
    logs.loss = loss_sum / double(seen);
    if (has_accuracy) logs.accuracy = correct / double(seen);
    logs.steps = steps;
    logs.learning_rate = optimizer.learning_rate();
    if (!train_metrics.empty()) logs.metrics = train_metrics.values();
    if (options.validation) {
      const Evaluation v = m.evaluate_checked(options.validation->get(), 256,
                                              val_metrics.empty() ? nullptr : &val_metrics);
      logs.val_loss = v.loss;
      logs.val_accuracy = v.accuracy;
      for (std::size_t i = 0; i < v.metrics.size() && i < logs.metrics.size(); ++i)
        logs.metrics[i].val_value = v.metrics[i].value;
    }
    logs.seconds = progress.seconds_since_start();
    progress.end_epoch(logs);
    history.epochs.push_back(logs);
    if (guarded)
      monitor.end_epoch(epoch, logs.loss, logs.val_loss, logs.accuracy, logs.val_accuracy);
    if (options.early_stopping && m.observe_best(best, logs, *options.early_stopping)) {
      control.stop = true;
      history.stopped_early = epoch < options.epochs;
      if (options.verbose != Verbosity::silent)
        std::cout << "Early stopping after epoch " << epoch << ": "
                  << (std::isnan(logs.get(options.early_stopping->monitor))
                          ? options.early_stopping->monitor.substr(
                                options.early_stopping->monitor.starts_with("val_") ? 4 : 0)
                          : options.early_stopping->monitor)
                  << " has not improved on " << best.score << " (epoch " << best.epoch << ") for "
                  << best.waited << " epochs (patience " << options.early_stopping->patience
                  << ")\n";
    }
    for (auto& cb : options.callbacks)
      if (cb.on_epoch_end) cb.on_epoch_end(logs, control);
    apply_learning_rate(control);
    if (checkpoint) {
      const bool last = control.stop || epoch == options.epochs;
      const double value = monitored_value(logs, checkpoint->monitor);
      const bool improved =
          !checkpoint->best_path.empty() && better(value, best_monitored, checkpoint->monitor);
      if (improved) best_monitored = value;
      if (improved || last || epoch % checkpoint->every_epochs == 0) {
        auto state =
            m.capture_state(epoch, batch, options.shuffle, monitor, history, best, best_monitored);
        state.data_fingerprint = fingerprint;
        const auto bytes = checkpoint_bytes(Mdl::records(), state);
        if (last || epoch % checkpoint->every_epochs == 0)
          write_file_atomically(checkpoint->path, bytes, "fit: checkpoint");
        if (improved) write_file_atomically(checkpoint->best_path, bytes, "fit: checkpoint");
      }
    }
  }
  if (options.early_stopping) {
    history.best_epoch = best.epoch;
    const std::size_t last = history.epochs.empty() ? 0 : history.epochs.back().epoch;
    if (options.early_stopping->restore_best_weights && best.epoch != 0) {
      m.restore_best(best);
      history.restored_epoch = best.epoch;
      if (options.verbose != Verbosity::silent && best.epoch != last)
        std::cout << "Early stopping: restored the weights of epoch " << best.epoch << " ("
                  << best.score << "), the best; the last epoch was " << last << "\n";
    }
  }
  return history;
}

}  // namespace tensorguard::detail
