// Feature scalers, fitted on training data and applied unchanged to validation and test data.
//
// Non-finite cells (NaN for a missing value, ±Inf) are skipped: each feature's statistics come
// from its finite training values, and transform leaves non-finite cells as they are, so the
// data guards still find every missing value where it was. A feature with no finite training
// value is treated as constant (minimum 0, mean 0, scale 1).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "../detail/row_hash.hpp"
#include "dataset.hpp"

namespace tensorguard::data {

namespace detail {
inline void require_fitted(bool fitted, const char* who) {
  if (!fitted)
    throw std::logic_error(std::string(who) +
                           ": transform before fit; fit the scaler on the training data first");
}
template <class D>
void require_samples(const D& train, const char* who) {
  if (train.empty())
    throw std::invalid_argument(std::string(who) +
                                "::fit: the training dataset is empty; there are no values to "
                                "take the feature statistics from. Fit on the training samples");
}
// The rows a scaler was fitted on, by content: sorted hashes of the rows before scaling.
template <class D>
std::vector<std::uint64_t> row_hashes(const D& d) {
  std::vector<std::uint64_t> h(d.size());
  for (std::size_t i = 0; i < d.size(); ++i)
    h[i] = tensorguard::detail::hash_row(d.input(i), D::features);
  std::sort(h.begin(), h.end());
  return h;
}
// Before transform changes them: which of data's rows were among the fitted ones.
template <class D>
void record_seen_rows(D& data, const std::vector<std::uint64_t>& fitted) {
  std::vector<std::uint8_t> seen(data.size());
  for (std::size_t i = 0; i < data.size(); ++i)
    seen[i] = std::binary_search(fitted.begin(), fitted.end(),
                                 tensorguard::detail::hash_row(data.input(i), D::features));
  data.record_scaling(std::move(seen));
}
inline std::string show_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}
}  // namespace detail

// Maps each feature linearly so that the training data spans [low, high] (default [0, 1]).
// A feature constant in training maps to low.
class MinMaxScaler {
 public:
  explicit MinMaxScaler(double low = 0.0, double high = 1.0) : low_(low), high_(high) {
    if (!std::isfinite(low) || !std::isfinite(high) || !(low < high))
      throw std::invalid_argument("MinMaxScaler: the target range [" + detail::show_number(low) +
                                  ", " + detail::show_number(high) +
                                  "] must have finite bounds with low < high");
  }

  template <class S, class L, class T>
  MinMaxScaler& fit(const Dataset<S, L, T>& train) {
    detail::require_samples(train, "MinMaxScaler");
    fitted_rows_ = detail::row_hashes(train);
    min_.assign(S::size, std::numeric_limits<double>::infinity());
    max_.assign(S::size, -std::numeric_limits<double>::infinity());
    for (std::size_t i = 0; i < train.size(); ++i)
      for (std::size_t f = 0; f < S::size; ++f) {
        const double v = train.input(i)[f];
        if (!std::isfinite(v)) continue;
        min_[f] = std::min(min_[f], v);
        max_[f] = std::max(max_[f], v);
      }
    for (std::size_t f = 0; f < S::size; ++f)
      if (min_[f] > max_[f]) min_[f] = max_[f] = 0.0;  // no finite value
    return *this;
  }
  template <class S, class L, class T>
  void transform(Dataset<S, L, T>& data) const {
    detail::require_fitted(!min_.empty(), "MinMaxScaler");
    check_width(S::size);
    detail::record_seen_rows(data, fitted_rows_);
    for (std::size_t i = 0; i < data.size(); ++i)
      for (std::size_t f = 0; f < S::size; ++f) {
        T& cell = data.input(i)[f];
        if (!std::isfinite(cell)) continue;
        const double span = max_[f] - min_[f];
        const double unit = span > 0 ? (cell - min_[f]) / span : 0.0;
        cell = T(low_ + unit * (high_ - low_));
      }
  }
  template <class S, class L, class T>
  void fit_transform(Dataset<S, L, T>& train) {
    fit(train);
    transform(train);
  }
  const std::vector<double>& data_min() const { return min_; }
  const std::vector<double>& data_max() const { return max_; }

 private:
  void check_width(std::size_t n) const {
    if (n != min_.size())
      throw std::invalid_argument("MinMaxScaler: fitted on " + std::to_string(min_.size()) +
                                  " features, applied to " + std::to_string(n));
  }
  double low_, high_;
  std::vector<double> min_, max_;
  std::vector<std::uint64_t> fitted_rows_;  // hashes of the rows fit saw (TG-DATA-SCALER-LEAK)
};

// Centres each feature on the training mean and divides by the training standard deviation
// (population, as in scikit-learn); features constant in training are only centred.
class StandardScaler {
 public:
  template <class S, class L, class T>
  StandardScaler& fit(const Dataset<S, L, T>& train) {
    detail::require_samples(train, "StandardScaler");
    fitted_rows_ = detail::row_hashes(train);
    mean_.assign(S::size, 0.0);
    scale_.assign(S::size, 0.0);
    std::vector<double> count(S::size, 0.0);
    // Welford's running mean and sum of squared deviations, over the finite values.
    for (std::size_t i = 0; i < train.size(); ++i)
      for (std::size_t f = 0; f < S::size; ++f) {
        const double v = train.input(i)[f];
        if (!std::isfinite(v)) continue;
        count[f] += 1;
        const double d = v - mean_[f];
        mean_[f] += d / count[f];
        scale_[f] += d * (v - mean_[f]);
      }
    for (std::size_t f = 0; f < S::size; ++f) {
      const double s = count[f] > 0 ? std::sqrt(scale_[f] / count[f]) : 0.0;
      scale_[f] = s > 0 && std::isfinite(s) ? s : 1.0;
    }
    return *this;
  }
  template <class S, class L, class T>
  void transform(Dataset<S, L, T>& data) const {
    detail::require_fitted(!mean_.empty(), "StandardScaler");
    if (S::size != mean_.size())
      throw std::invalid_argument("StandardScaler: fitted on " + std::to_string(mean_.size()) +
                                  " features, applied to " + std::to_string(S::size));
    detail::record_seen_rows(data, fitted_rows_);
    for (std::size_t i = 0; i < data.size(); ++i)
      for (std::size_t f = 0; f < S::size; ++f) {
        T& cell = data.input(i)[f];
        if (std::isfinite(cell)) cell = T((cell - mean_[f]) / scale_[f]);
      }
  }
  template <class S, class L, class T>
  void fit_transform(Dataset<S, L, T>& train) {
    fit(train);
    transform(train);
  }
  const std::vector<double>& mean() const { return mean_; }
  const std::vector<double>& scale() const { return scale_; }

 private:
  std::vector<double> mean_, scale_;
  std::vector<std::uint64_t> fitted_rows_;  // hashes of the rows fit saw (TG-DATA-SCALER-LEAK)
};

}  // namespace tensorguard::data
