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
#include <fstream>
#include <limits>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "../detail/file_io.hpp"
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
// A scaler's file: a header line, then one line per feature with its two numbers, written with
// 17 significant digits so that they read back exactly:
//   tensorguard-scaler 1 StandardScaler 13
//   <mean> <scale>
//   ...
// Reading refuses anything else, naming the file and the line.
inline void save_scaler(const std::string& path, const char* kind, double a, double b,
                        const std::vector<double>& first, const std::vector<double>& second) {
  require_fitted(!first.empty(), kind);
  std::ostringstream out;
  out.precision(17);
  out << "tensorguard-scaler 1 " << kind << ' ' << first.size() << ' ' << a << ' ' << b << '\n';
  for (std::size_t f = 0; f < first.size(); ++f) out << first[f] << ' ' << second[f] << '\n';
  const std::string text = out.str();
  tensorguard::detail::write_file_atomically(
      path,
      std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(text.data()),
                                     text.size()),
      kind);
}
struct ScalerFile {
  double a = 0, b = 0;
  std::vector<double> first, second;
};
inline ScalerFile load_scaler(const std::string& path, const char* kind) {
  std::ifstream in(path);
  auto refuse = [&](std::size_t line, const std::string& why) {
    throw std::runtime_error(std::string(kind) + ": '" + path + "' line " + std::to_string(line) +
                             ": " + why);
  };
  if (!in) throw std::runtime_error(std::string(kind) + ": cannot read '" + path + "'");
  std::string line;
  if (!std::getline(in, line)) refuse(1, "empty file; expected 'tensorguard-scaler 1 ...'");
  std::istringstream header(line);
  std::string magic, name, extra;
  int version = 0;
  double count = 0;
  ScalerFile file;
  if (!(header >> magic >> version >> name >> count >> file.a >> file.b) ||
      magic != "tensorguard-scaler")
    refuse(1, "not a tensorguard scaler file (expected 'tensorguard-scaler 1 " + std::string(kind) +
                  " <features> ...')");
  if (version != 1) refuse(1, "version " + std::to_string(version) + ", this library reads 1");
  if (name != kind) refuse(1, "it holds a " + name + ", not a " + kind);
  if (header >> extra) refuse(1, "unexpected '" + extra + "' after the header");
  if (!(count >= 1 && count <= 1e8) || count != std::floor(count))
    refuse(1, "the feature count " + show_number(count) + " is not a whole number in [1, 1e8]");
  if (!std::isfinite(file.a) || !std::isfinite(file.b))
    refuse(1,
           "the settings " + show_number(file.a) + ", " + show_number(file.b) + " must be finite");
  const auto n = std::size_t(count);
  for (std::size_t f = 0; f < n; ++f) {
    if (!std::getline(in, line))
      refuse(f + 2,
             "the file ends after " + std::to_string(f) + " of " + std::to_string(n) + " features");
    std::istringstream row(line);
    double x = 0, y = 0;
    if (!(row >> x >> y) || (row >> extra))
      refuse(f + 2, "expected two finite numbers, got '" + line + "'");
    if (!std::isfinite(x) || !std::isfinite(y))
      refuse(f + 2, "feature " + std::to_string(f) + " has a non-finite value");
    file.first.push_back(x);
    file.second.push_back(y);
  }
  while (std::getline(in, line))
    if (line.find_first_not_of(" \t\r") != std::string::npos)
      refuse(n + 2, "unexpected text after the " + std::to_string(n) + " features: '" + line + "'");
  return file;
}
// Rows of `features` values each, in place.
template <class T, class F>
void transform_rows(std::span<T> values, std::size_t features, const char* kind, F&& map) {
  if (values.size() % features != 0)
    throw std::invalid_argument(std::string(kind) + ": " + std::to_string(values.size()) +
                                " values are not whole rows of " + std::to_string(features) +
                                " features");
  for (std::size_t i = 0; i < values.size(); ++i) {
    T& cell = values[i];
    if (std::isfinite(cell)) cell = T(map(double(cell), i % features));
  }
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
        if (std::isfinite(cell)) cell = T(map(cell, f));
      }
  }
  template <class S, class L, class T>
  void fit_transform(Dataset<S, L, T>& train) {
    fit(train);
    transform(train);
  }
  // Rows of raw values (a program serving the model), in place: values.size() must be whole rows.
  template <class T>
  void transform(std::span<T> values) const {
    detail::require_fitted(!min_.empty(), "MinMaxScaler");
    detail::transform_rows(values, min_.size(), "MinMaxScaler",
                           [&](double v, std::size_t f) { return map(v, f); });
  }
  const std::vector<double>& data_min() const { return min_; }
  const std::vector<double>& data_max() const { return max_; }

  // The fitted statistics and the target range, to a file another program can load.
  void save(const std::string& path) const {
    detail::save_scaler(path, "MinMaxScaler", low_, high_, min_, max_);
  }
  static MinMaxScaler load(const std::string& path) {
    auto file = detail::load_scaler(path, "MinMaxScaler");
    MinMaxScaler s(file.a, file.b);
    for (std::size_t f = 0; f < file.first.size(); ++f)
      if (file.first[f] > file.second[f])
        throw std::runtime_error("MinMaxScaler: '" + path + "' line " + std::to_string(f + 2) +
                                 ": feature " + std::to_string(f) +
                                 " has its minimum above its maximum");
    s.min_ = std::move(file.first);
    s.max_ = std::move(file.second);
    return s;
  }

 private:
  void check_width(std::size_t n) const {
    if (n != min_.size())
      throw std::invalid_argument("MinMaxScaler: fitted on " + std::to_string(min_.size()) +
                                  " features, applied to " + std::to_string(n));
  }
  double map(double v, std::size_t f) const {
    const double span = max_[f] - min_[f];
    const double unit = span > 0 ? (v - min_[f]) / span : 0.0;
    return low_ + unit * (high_ - low_);
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
  // Rows of raw values (a program serving the model), in place: values.size() must be whole rows.
  template <class T>
  void transform(std::span<T> values) const {
    detail::require_fitted(!mean_.empty(), "StandardScaler");
    detail::transform_rows(values, mean_.size(), "StandardScaler",
                           [&](double v, std::size_t f) { return (v - mean_[f]) / scale_[f]; });
  }
  const std::vector<double>& mean() const { return mean_; }
  const std::vector<double>& scale() const { return scale_; }

  // The fitted means and scales, to a file another program can load.
  void save(const std::string& path) const {
    detail::save_scaler(path, "StandardScaler", 0, 0, mean_, scale_);
  }
  static StandardScaler load(const std::string& path) {
    auto file = detail::load_scaler(path, "StandardScaler");
    for (std::size_t f = 0; f < file.second.size(); ++f)
      if (!(file.second[f] > 0))
        throw std::runtime_error("StandardScaler: '" + path + "' line " + std::to_string(f + 2) +
                                 ": feature " + std::to_string(f) + " has scale " +
                                 detail::show_number(file.second[f]) + ", not positive");
    StandardScaler s;
    s.mean_ = std::move(file.first);
    s.scale_ = std::move(file.second);
    return s;
  }

 private:
  std::vector<double> mean_, scale_;
  std::vector<std::uint64_t> fitted_rows_;  // hashes of the rows fit saw (TG-DATA-SCALER-LEAK)
};

}  // namespace tensorguard::data
