// Feature scalers, fitted on training data and applied unchanged to validation and test data.
#pragma once
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "dataset.hpp"

namespace tensorguard::data {

namespace detail {
inline void require_fitted(bool fitted, const char* who) {
  if (!fitted)
    throw std::logic_error(std::string(who) +
                           ": transform before fit; fit the scaler on the training data first");
}
}  // namespace detail

// Maps each feature linearly so that the training data spans [low, high] (default [0, 1]).
class MinMaxScaler {
 public:
  explicit MinMaxScaler(double low = 0.0, double high = 1.0) : low_(low), high_(high) {}

  template <class S, class L, class T>
  MinMaxScaler& fit(const Dataset<S, L, T>& train) {
    fitted_on_ = train.fingerprint();
    min_.assign(S::size, std::numeric_limits<double>::infinity());
    max_.assign(S::size, -std::numeric_limits<double>::infinity());
    for (std::size_t i = 0; i < train.size(); ++i)
      for (std::size_t f = 0; f < S::size; ++f) {
        const double v = train.input(i)[f];
        min_[f] = std::min(min_[f], v);
        max_[f] = std::max(max_[f], v);
      }
    return *this;
  }
  template <class S, class L, class T>
  void transform(Dataset<S, L, T>& data) const {
    detail::require_fitted(!min_.empty(), "MinMaxScaler");
    check_width(S::size);
    data.record_scaling(fitted_on_, data.fingerprint());
    for (std::size_t i = 0; i < data.size(); ++i)
      for (std::size_t f = 0; f < S::size; ++f) {
        const double span = max_[f] - min_[f];
        const double unit = span > 0 ? (data.input(i)[f] - min_[f]) / span : 0.0;
        data.input(i)[f] = T(low_ + unit * (high_ - low_));
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
  std::uint64_t fitted_on_ = 0;
};

// Centres each feature on the training mean and divides by the training standard deviation
// (features constant in training are only centred).
class StandardScaler {
 public:
  template <class S, class L, class T>
  StandardScaler& fit(const Dataset<S, L, T>& train) {
    fitted_on_ = train.fingerprint();
    mean_.assign(S::size, 0.0);
    scale_.assign(S::size, 0.0);
    const double n = double(train.size());
    for (std::size_t i = 0; i < train.size(); ++i)
      for (std::size_t f = 0; f < S::size; ++f) mean_[f] += train.input(i)[f] / n;
    for (std::size_t i = 0; i < train.size(); ++i)
      for (std::size_t f = 0; f < S::size; ++f) {
        const double d = train.input(i)[f] - mean_[f];
        scale_[f] += d * d / n;
      }
    for (double& s : scale_) s = s > 0 ? std::sqrt(s) : 1.0;
    return *this;
  }
  template <class S, class L, class T>
  void transform(Dataset<S, L, T>& data) const {
    detail::require_fitted(!mean_.empty(), "StandardScaler");
    data.record_scaling(fitted_on_, data.fingerprint());
    if (S::size != mean_.size())
      throw std::invalid_argument("StandardScaler: fitted on " + std::to_string(mean_.size()) +
                                  " features, applied to " + std::to_string(S::size));
    for (std::size_t i = 0; i < data.size(); ++i)
      for (std::size_t f = 0; f < S::size; ++f)
        data.input(i)[f] = T((data.input(i)[f] - mean_[f]) / scale_[f]);
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
  std::uint64_t fitted_on_ = 0;
};

}  // namespace tensorguard::data
