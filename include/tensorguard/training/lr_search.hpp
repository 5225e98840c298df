// Smith's learning-rate range test with fastai's stop rule: the rate grows exponentially from
// options.start to options.end, one training step each, until the smoothed loss passes 4x its
// best; the suggestion is where the smoothed loss falls fastest against log(rate).
#pragma once
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "../guards/guard.hpp"
#include "fit_options.hpp"

namespace tensorguard::detail {

inline void check_search_options(const LearningRateSearchOptions& o, std::size_t samples) {
  if (samples == 0 || o.steps < 2 || o.batch_size == 0 ||
      !(std::isfinite(o.start) && std::isfinite(o.end) && o.start > 0 && o.end > o.start))
    throw std::invalid_argument(
        "find_learning_rate: needs data, steps >= 2, batch_size >= 1 and finite 0 < start < "
        "end; got " +
        std::to_string(samples) + " samples, steps " + std::to_string(o.steps) + ", batch_size " +
        std::to_string(o.batch_size) + ", start " + fmt(o.start) + ", end " + fmt(o.end));
}

// step(rate) trains one batch at that rate and returns its mean loss.
template <class Step>
LearningRateSearch learning_rate_search(const LearningRateSearchOptions& options, Step&& step) {
  LearningRateSearch out;
  double average = 0, best = INFINITY;
  for (std::size_t i = 0; i < options.steps; ++i) {
    const double rate = options.start * std::pow(options.end / options.start,
                                                 double(i) / double(options.steps - 1));
    const double loss = step(rate);
    average = 0.98 * average + 0.02 * loss;  // smoothed, with bias correction below
    const double smoothed = average / (1 - std::pow(0.98, double(i + 1)));
    if (!std::isfinite(smoothed) || (i > 0 && smoothed > 4 * best)) break;
    best = std::min(best, smoothed);
    out.rates.push_back(rate);
    out.losses.push_back(smoothed);
  }
  double steepest = INFINITY;
  for (std::size_t i = 1; i < out.losses.size(); ++i) {
    const double slope =
        (out.losses[i] - out.losses[i - 1]) / (std::log(out.rates[i]) - std::log(out.rates[i - 1]));
    if (slope < steepest) steepest = slope, out.suggested = out.rates[i];
  }
  return out;
}

}  // namespace tensorguard::detail
