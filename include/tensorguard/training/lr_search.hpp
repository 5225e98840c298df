// Smith's learning-rate range test with fastai's stop rule: the rate grows exponentially from
// options.start to options.end, one training step each, until the smoothed loss passes 4x its
// best; the suggestion is where the smoothed loss falls fastest against log(rate) on its way down
// to its lowest point (after the lowest point the loss is diverging, however it moves).
#pragma once
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

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

// Where the smoothed loss falls fastest against log(rate), before its lowest point: slopes over a
// window of about a twentieth of the curve (one step is noisy). Without a fall before the lowest
// point, a tenth of the rate at the lowest point (fastai's other rule). NaN for an empty curve.
inline double suggest_rate(const std::vector<double>& rates, const std::vector<double>& losses) {
  if (rates.empty()) return NAN;
  const std::size_t lowest =
      std::size_t(std::min_element(losses.begin(), losses.end()) - losses.begin());
  const std::size_t w = std::max<std::size_t>(1, losses.size() / 20);
  double steepest = 0, suggested = rates[lowest] / 10;
  for (std::size_t i = 0; i < lowest; ++i) {
    const std::size_t a = i >= w ? i - w : 0, b = std::min(i + w, lowest);
    if (b == a) continue;
    const double slope = (losses[b] - losses[a]) / (std::log(rates[b]) - std::log(rates[a]));
    if (slope < steepest) steepest = slope, suggested = rates[i];
  }
  return suggested;
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
  out.suggested = suggest_rate(out.rates, out.losses);
  return out;
}

}  // namespace tensorguard::detail
