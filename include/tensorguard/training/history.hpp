// History: the metrics of every epoch fit ran, writable as CSV.
#pragma once
#include <charconv>
#include <cmath>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "../guards/guard.hpp"
#include "epoch_logs.hpp"

namespace tensorguard {

namespace detail {
// The shortest text that reads back as the same value: as a float when the value is one (a
// learning rate set as 1e-3f prints 0.001, not 0.00100000005), else as a double.
inline std::string shortest(double v) {
  char buf[32];
  const auto f = static_cast<float>(v);
  const auto end = double(f) == v ? std::to_chars(buf, buf + sizeof buf, f).ptr
                                  : std::to_chars(buf, buf + sizeof buf, v).ptr;
  return std::string(buf, end);
}
}  // namespace detail

struct History {
  std::vector<EpochLogs> epochs;
  // Early stopping: the epoch (1-based) with the best monitored loss, 0 without early stopping;
  // whether it ended the run before the last epoch; the epoch whose weights the model holds
  // after fit (the best one when restore_best_weights, 0 when none was restored).
  std::size_t best_epoch = 0;
  bool stopped_early = false;
  std::size_t restored_epoch = 0;
  GuardReport guards;  // what the runtime guards reported (warnings; a stop throws GuardStop)

  bool empty() const { return epochs.empty(); }
  const EpochLogs& last() const { return epochs.back(); }

  void write_csv(const std::string& path) const {
    std::ofstream out(path);
    if (!out) throw std::runtime_error("History::write_csv: cannot write '" + path + "'");
    out << "epoch,loss,accuracy,val_loss,val_accuracy,seconds,learning_rate,steps\n";
    auto cell = [&](double v) {  // NaN (no value) is an empty cell
      if (!std::isnan(v)) out << v;
      out << ',';
    };
    out.precision(9);
    for (const auto& e : epochs) {
      out << e.epoch << ',';
      cell(e.loss);
      cell(e.accuracy);
      cell(e.val_loss);
      cell(e.val_accuracy);
      out << e.seconds << ',' << detail::shortest(e.learning_rate) << ',' << e.steps << '\n';
    }
  }
};

}  // namespace tensorguard
