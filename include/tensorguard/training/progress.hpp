// Keras-like progress display: a live bar on a terminal, one line per epoch otherwise.
#pragma once
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "../detail/config.hpp"
#include "history.hpp"

namespace tensorguard {

enum class Verbosity {
  automatic,  // a live bar when stdout is a terminal, else one line per epoch
  bar,        // always the live bar
  epochs,     // one line per epoch, no live updates
  silent,
};

class ProgressDisplay {
 public:
  using clock = std::chrono::steady_clock;

  ProgressDisplay(Verbosity v, std::ostream& out = std::cout) : out_(out) {
    if (v == Verbosity::automatic) v = isatty(STDOUT_FILENO) ? Verbosity::bar : Verbosity::epochs;
    mode_ = v;
  }

  void start_epoch(std::size_t epoch, std::size_t epochs, std::size_t steps, bool has_accuracy) {
    steps_ = steps;
    has_accuracy_ = has_accuracy;
    start_ = last_draw_ = clock::now();
    if (mode_ != Verbosity::silent)
      out_ << "Epoch " << epoch << "/" << epochs << "\n" << std::flush;
  }

  // Called after every step with the running means; redraws at most 10 times a second.
  void step(std::size_t done, double loss, double accuracy);

  void end_epoch(const EpochLogs& logs);

  double seconds_since_start() const {
    return std::chrono::duration<double>(clock::now() - start_).count();
  }

 private:
  std::string counter(std::size_t done) const;
  std::string bar(std::size_t done) const {
    constexpr std::size_t width = 30;
    const std::size_t filled = steps_ ? done * width / steps_ : width;
    std::string b(width + 2, '.');
    b.front() = '[';
    b.back() = ']';
    for (std::size_t i = 0; i < filled; ++i) b[1 + i] = '=';
    if (filled < width) b[1 + filled] = '>';
    return b;
  }
  static std::string duration(double s) {
    char buf[32];
    if (s >= 3600)
      std::snprintf(buf, sizeof buf, "%d:%02d:%02d", int(s / 3600), int(s / 60) % 60, int(s) % 60);
    else if (s >= 60)
      std::snprintf(buf, sizeof buf, "%d:%02d", int(s / 60), int(s) % 60);
    else
      std::snprintf(buf, sizeof buf, "%.0fs", s);
    return buf;
  }
  static std::string per_step_string(double s) {
    char buf[32];
    if (s >= 1)
      std::snprintf(buf, sizeof buf, "%.0fs/step", s);
    else if (s >= 1e-3)
      std::snprintf(buf, sizeof buf, "%.0fms/step", s * 1e3);
    else
      std::snprintf(buf, sizeof buf, "%.0fus/step", s * 1e6);
    return buf;
  }
  // Keras's order: loss, accuracy, the other metrics, then the same for validation.
  std::string metrics(double loss, double acc, double val_loss, double val_acc,
                      const std::vector<MetricValue>* more = nullptr) const;

  std::ostream& out_;
  Verbosity mode_;
  std::size_t steps_ = 0;
  bool has_accuracy_ = true;
  clock::time_point start_, last_draw_;
};

#if TG_HEADER_DEFINITIONS
TG_OUT_OF_LINE void ProgressDisplay::step(std::size_t done, double loss, double accuracy) {
  if (mode_ != Verbosity::bar) return;
  const auto now = clock::now();
  if (done < steps_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const double elapsed = seconds_since_start();
  const double eta = done ? elapsed / double(done) * double(steps_ - done) : 0;
  out_ << '\r' << counter(done) << ' ' << bar(done) << " - ETA: " << duration(eta)
       << metrics(loss, accuracy, NAN, NAN) << "\x1b[K" << std::flush;
}

TG_OUT_OF_LINE void ProgressDisplay::end_epoch(const EpochLogs& logs) {
  if (mode_ == Verbosity::silent) return;
  if (mode_ == Verbosity::bar) out_ << '\r';
  const double per_step = logs.steps ? logs.seconds / double(logs.steps) : 0;
  out_ << counter(logs.steps) << ' ' << bar(steps_) << " - " << duration(logs.seconds) << ' '
       << per_step_string(per_step)
       << metrics(logs.loss, logs.accuracy, logs.val_loss, logs.val_accuracy, &logs.metrics);
  if (mode_ == Verbosity::bar) out_ << "\x1b[K";
  out_ << '\n' << std::flush;
}

TG_OUT_OF_LINE std::string ProgressDisplay::counter(std::size_t done) const {
  const std::string total = std::to_string(steps_);
  std::string d = std::to_string(done);
  return std::string(total.size() - std::min(total.size(), d.size()), ' ') + d + "/" + total;
}

TG_OUT_OF_LINE std::string ProgressDisplay::metrics(double loss, double acc, double val_loss,
                                                    double val_acc,
                                                    const std::vector<MetricValue>* more) const {
  std::string s;
  auto add = [&](const std::string& name, double v) {
    if (std::isnan(v)) return;
    char buf[48];
    std::snprintf(buf, sizeof buf, ": %.4f", v);
    s += " - " + name + buf;
  };
  add("loss", loss);
  if (has_accuracy_) add("accuracy", acc);
  if (more)
    for (const auto& m : *more) add(m.name, m.value);
  add("val_loss", val_loss);
  if (has_accuracy_) add("val_accuracy", val_acc);
  if (more)
    for (const auto& m : *more) add("val_" + m.name, m.val_value);
  return s;
}
#endif

}  // namespace tensorguard
