// History: the metrics of every epoch fit ran, writable as CSV and as an SVG picture.
#pragma once
#include <charconv>
#include <cmath>
#include <fstream>
#include <locale>
#include <stdexcept>
#include <string>
#include <vector>

#include "../guards/guard.hpp"
#include "epoch_logs.hpp"
#include "history_svg.hpp"  // detail::shortest, the SVG writer

namespace tensorguard {

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

  // One row per epoch: epoch, loss, accuracy, val_loss, val_accuracy, seconds, learning_rate,
  // steps, then each metric and its val_ column (the metrics of the first epoch that has any;
  // a resumed run's epochs all have the same). NaN is an empty cell; numbers do not depend on
  // the locale.
  void write_csv(const std::string& path) const {
    std::ofstream out(path);
    if (!out) throw std::runtime_error("History::write_csv: cannot write '" + path + "'");
    out.imbue(std::locale::classic());
    std::vector<std::string> metrics;
    for (const auto& e : epochs)
      if (metrics.empty())
        for (const auto& m : e.metrics) metrics.push_back(m.name);
    out << "epoch,loss,accuracy,val_loss,val_accuracy,seconds,learning_rate,steps";
    for (const auto& name : metrics) out << ',' << name << ",val_" << name;
    out << '\n';
    auto cell = [&](double v) {  // NaN (no value) is an empty cell
      out << ',';
      if (!std::isnan(v)) out << v;
    };
    out.precision(9);
    for (const auto& e : epochs) {
      out << e.epoch;
      cell(e.loss);
      cell(e.accuracy);
      cell(e.val_loss);
      cell(e.val_accuracy);
      out << ',' << e.seconds << ',' << detail::shortest(e.learning_rate) << ',' << e.steps;
      for (const auto& name : metrics) {
        cell(e.get(name));
        cell(e.get("val_" + name));
      }
      out << '\n';
    }
  }

  // The curves as a standalone SVG picture (history_svg.hpp): a panel for the loss with the
  // learning rate on a right axis, one for accuracy and the metrics that are fractions, one per
  // other metric; training solid, validation dashed, NaN as a gap. The same history gives the
  // same bytes.
  std::string svg(const HistorySvgOptions& options = {}) const {
    return detail::history_svg(epochs, best_epoch, options);
  }
  void write_svg(const std::string& path, const HistorySvgOptions& options = {}) const {
    const std::string text = svg(options);
    std::ofstream out(path, std::ios::binary);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.close();
    if (!out) throw std::runtime_error("History::write_svg: cannot write '" + path + "'");
  }
};

}  // namespace tensorguard
