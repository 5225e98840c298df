// Runtime guards: what the compiler cannot know, the data and the optimizer show. Every guard
// has a stable code, a level (off, warn, stop) the user can set per guard, and a message that
// says what was seen (numbers), why it matters and what to do (docs/guards.md).
#pragma once
#include <algorithm>
#include <cstddef>
#include <iostream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "../detail/config.hpp"
#include "../training/epoch_logs.hpp"

namespace tensorguard {

enum class GuardLevel { off, warn, stop };

namespace guard {
// Data, checked once where a dataset enters fit or evaluate.
inline constexpr const char* data_nonfinite = "TG-DATA-NONFINITE";
inline constexpr const char* data_range = "TG-DATA-RANGE";
inline constexpr const char* data_labels = "TG-DATA-LABELS";
inline constexpr const char* data_constant = "TG-DATA-CONSTANT";
inline constexpr const char* data_duplicates = "TG-DATA-DUPLICATES";
inline constexpr const char* data_imbalance = "TG-DATA-IMBALANCE";
inline constexpr const char* data_leakage = "TG-DATA-LEAKAGE";
inline constexpr const char* data_scaler_leak = "TG-DATA-SCALER-LEAK";
inline constexpr const char* data_memory = "TG-DATA-MEMORY";
inline constexpr const char* data_shift = "TG-DATA-SHIFT";
inline constexpr const char* data_absent_class = "TG-DATA-ABSENT-CLASS";
// Training, computed inside the step.
inline constexpr const char* train_nonfinite = "TG-TRAIN-NONFINITE";
inline constexpr const char* train_divergence = "TG-TRAIN-DIVERGENCE";
inline constexpr const char* train_lr_low = "TG-TRAIN-LR-LOW";
inline constexpr const char* train_oscillation = "TG-TRAIN-OSCILLATION";
inline constexpr const char* train_exploding = "TG-TRAIN-EXPLODING-GRADIENTS";
inline constexpr const char* train_vanishing = "TG-TRAIN-VANISHING-GRADIENTS";
inline constexpr const char* train_dead_relu = "TG-TRAIN-DEAD-RELU";
inline constexpr const char* train_saturation = "TG-TRAIN-SATURATION";
inline constexpr const char* train_first_loss = "TG-TRAIN-FIRST-LOSS";
inline constexpr const char* train_overfitting = "TG-TRAIN-OVERFITTING";
inline constexpr const char* train_no_signal = "TG-TRAIN-NO-SIGNAL";

// Defaults: stop on NaN/Inf, divergence, invalid labels, leakage into training and memory
// that cannot fit; warn on the rest.
#if TG_HEADER_DEFINITIONS
TG_OUT_OF_LINE GuardLevel default_level(const std::string& code) {
  static const std::map<std::string, GuardLevel> stops = {
      {data_nonfinite, GuardLevel::stop},  {data_labels, GuardLevel::stop},
      {data_leakage, GuardLevel::stop},    {data_scaler_leak, GuardLevel::stop},
      {data_memory, GuardLevel::stop},     {train_nonfinite, GuardLevel::stop},
      {train_divergence, GuardLevel::stop}};
  const auto it = stops.find(code);
  return it == stops.end() ? GuardLevel::warn : it->second;
}
#else
GuardLevel default_level(const std::string& code);
#endif
}  // namespace guard

// What fired: the guard, its level, where (epoch and step, 0 for data guards) and the evidence.
struct GuardEvent {
  std::string code;
  GuardLevel level = GuardLevel::warn;
  std::size_t epoch = 0, step = 0;
  std::string message;
  double value = 0;  // the guard's main number (the ratio, count or loss it judged)
  // A warning that fires in consecutive epochs is one event: the streak's last epoch and length.
  std::size_t last_epoch = 0, epochs = 1;
};

struct GuardReport {
  std::vector<GuardEvent> events;
  bool fired(const std::string& code) const {
    for (const auto& e : events)
      if (e.code == code) return true;
    return false;
  }
  const GuardEvent* find(const std::string& code) const {
    for (const auto& e : events)
      if (e.code == code) return &e;
    return nullptr;
  }
};

// Thrown when a stop-level guard fires; carries that event, everything reported before it and
// the epochs trained so far (what History::epochs would have held).
struct GuardStop : std::runtime_error {
  GuardEvent event;
  GuardReport report;
  std::vector<EpochLogs> epochs;
  GuardStop(GuardEvent e, GuardReport r)
      : std::runtime_error("[" + e.code + "] " + e.message),
        event(std::move(e)),
        report(std::move(r)) {}
};

// Levels per guard (defaults in guard::default_level) and the few knobs the guards take.
class GuardPolicy {
 public:
  GuardPolicy& set(const std::string& code, GuardLevel level) {
    levels_[code] = level;
    return *this;
  }
  // Every guard at one level (off: training exactly as without guards).
  static GuardPolicy all(GuardLevel level) {
    GuardPolicy p;
    p.everything_ = level;
    return p;
  }
  GuardLevel level(const std::string& code) const {
    if (const auto it = levels_.find(code); it != levels_.end()) return it->second;
    if (everything_) return *everything_;
    return guard::default_level(code);
  }
  bool on(const std::string& code) const { return level(code) != GuardLevel::off; }
  bool all_off() const { return everything_ == GuardLevel::off && levels_.empty(); }

  // Memory to plan against (default: MemAvailable from /proc/meminfo).
  std::optional<std::size_t> memory_limit_bytes;
  // Training statistics are sampled every this many steps (loss checks run every step).
  std::size_t sample_every = 10;
  bool print_warnings = true;

 private:
  std::map<std::string, GuardLevel> levels_;
  std::optional<GuardLevel> everything_;
};

namespace detail {
// Records an event at the policy's level: prints warnings, throws GuardStop for stops.
class GuardSink {
 public:
  // print: whether warnings go to stderr (fit passes false for Verbosity::silent).
  GuardSink(const GuardPolicy& policy, GuardReport& report, bool print = true)
      : policy_(policy), report_(report), print_(print && policy.print_warnings) {}
  const GuardPolicy& policy() const { return policy_; }
  bool on(const char* code) const { return policy_.on(code); }
  // At most one event per guard and epoch, and a warning that fires again in the next epoch
  // extends its streak (last_epoch, epochs) instead of being reported again.
  // at_most: a stop-level guard whose evidence is weak only warns.
  void fire(const char* code, std::size_t epoch, std::size_t step, double value,
            std::string message, GuardLevel at_most = GuardLevel::stop);
  GuardReport& report() { return report_; }

 private:
  const GuardPolicy& policy_;
  GuardReport& report_;
  bool print_;
};

#if TG_HEADER_DEFINITIONS
TG_OUT_OF_LINE void GuardSink::fire(const char* code, std::size_t epoch, std::size_t step,
                                    double value, std::string message, GuardLevel at_most) {
  const GuardLevel level = std::min(policy_.level(code), at_most);
  if (level == GuardLevel::off) return;
  for (auto& e : report_.events) {
    if (e.code != code) continue;
    if (e.last_epoch == epoch) return;
    if (level == GuardLevel::warn && epoch > 0 && e.last_epoch + 1 == epoch) {
      e.last_epoch = epoch;
      ++e.epochs;
      e.value = value;
      return;
    }
  }
  GuardEvent e{code, level, epoch, step, std::move(message), value, epoch, 1};
  report_.events.push_back(e);
  if (level == GuardLevel::stop) throw GuardStop(e, report_);
  if (print_) {
    std::cout.flush();  // keep warnings in order with the progress lines
    std::cerr << "[" << e.code << "] warning: " << e.message << "\n";
  }
}
#endif

inline std::string fmt(double v, int digits = 4) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}
}  // namespace detail
}  // namespace tensorguard
