// History: the metrics of every epoch fit ran, writable as CSV.
#pragma once
#include <cmath>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "../guards/guard.hpp"
#include "epoch_logs.hpp"

namespace tensorguard {

struct History {
  std::vector<EpochLogs> epochs;
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
      out << e.seconds << ',' << e.learning_rate << ',' << e.steps << '\n';
    }
  }
};

}  // namespace tensorguard
