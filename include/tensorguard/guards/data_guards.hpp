// Guards on data: run once where a dataset enters fit or evaluate.
#pragma once
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "../data/labels.hpp"
#include "../detail/config.hpp"
#include "../detail/row_hash.hpp"
#include "guard.hpp"

namespace tensorguard::detail {

template <class D>
std::uint64_t row_hash(const D& d, std::size_t i) {
  return hash_row(d.input(i), D::features);
}

template <class D>
bool same_inputs(const D& a, std::size_t i, const D& b, std::size_t j) {
  return std::memcmp(a.input(i), b.input(j), D::features * sizeof(typename D::scalar)) == 0;
}

// (row hash, row index) sorted by hash, for finding exact copies of a row.
using RowIndex = std::vector<std::pair<std::uint64_t, std::size_t>>;

// The index of a row of `indexed` equal to `row`, or npos.
template <class D>
std::size_t find_row(const RowIndex& index, const D& indexed, const typename D::scalar* row) {
  const std::uint64_t h = hash_row(row, D::features);
  auto it =
      std::lower_bound(index.begin(), index.end(), std::pair<std::uint64_t, std::size_t>{h, 0});
  for (; it != index.end() && it->first == h; ++it)
    if (std::memcmp(indexed.input(it->second), row, D::features * sizeof(*row)) == 0)
      return it->second;
  return std::size_t(-1);
}
template <class D>
bool contains_row(const RowIndex& index, const D& indexed, const D& d, std::size_t i) {
  return find_row(index, indexed, d.input(i)) != std::size_t(-1);
}

// True if any value is NaN or infinite: an exponent of all ones, tested on the bits so the
// loop vectorises.
template <class T>
bool any_nonfinite(std::span<const T> values) {
  using Bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
  constexpr Bits exponent = sizeof(T) == 4 ? Bits(0x7f800000u) : Bits(0x7ff0000000000000ull);
  Bits found = 0;
  for (const T& v : values) {
    Bits b;
    std::memcpy(&b, &v, sizeof b);
    found |= Bits((b & exponent) == exponent);
  }
  return found != 0;
}

// The checks that read every value, done in one pass over the rows while each is in cache:
// whether any input is NaN/Inf and, when asked for, the rows sorted by hash.
struct RowScan {
  bool nonfinite = false;
  RowIndex index;
};
template <class D>
RowScan scan_rows(const D& d, bool finiteness, bool hashes) {
  RowScan out;
  if (!hashes) {
    out.nonfinite = finiteness && any_nonfinite(d.inputs());
    return out;
  }
  out.index.resize(d.size());
  for (std::size_t i = 0; i < d.size(); ++i) {
    if (finiteness)
      out.nonfinite |= any_nonfinite(std::span<const typename D::scalar>(d.input(i), D::features));
    out.index[i] = {row_hash(d, i), i};
  }
  std::sort(out.index.begin(), out.index.end());
  return out;
}

// Thresholds (docs/guards.md gives the reasoning).
struct DataThresholds {
  // Feature statistics are taken over at most this many rows, spread evenly over the data;
  // a feature that looks constant there is confirmed on every row.
  static constexpr std::size_t statistics_rows = 10000;
  // A feature is unscaled when |mean| + std > 4 or some |value| > 25: far beyond [-1, 1] or
  // unit variance, while standardised features (|mean| + std ~ 1, rare tails at 5) and [0, 1]
  // data pass.
  static constexpr double unscaled_spread = 4.0, unscaled_magnitude = 25.0;
  // Normalised label perplexity (e^H - 1) / (K - 1) below this is imbalanced (TheDeepChecker).
  static constexpr double balanced_perplexity = 0.5;
  // Equal rows are chance when independent columns would give a row's values to at least 0.01
  // other rows (tables of small integer scores, rounded measurements); copies of rarer rows are
  // reported when they make 3% of the data (and 3 rows).
  static constexpr double chance_copies = 0.01, duplicate_share = 0.03;
  // Held-out rows shared with training: a stop once 5% of them beyond chance, or once a quarter
  // of them are copies of rare-valued training rows.
  static constexpr double leak_share = 0.05, copied_share = 0.25;
  // Near twins: the nearest-neighbour test on at most 64 held-out rows (at least 16) and 3e8
  // multiply-adds; a warning at 20% of rows within noise (chance: 1%), a stop at 40%. Images
  // flipped or shifted: 200 rows checked, a warning at 2% (chance: none), a stop at 10%.
  static constexpr std::size_t near_twin_work = 300'000'000, near_twin_rows = 64,
                               near_twin_min_rows = 16, transformed_rows = 200;
  static constexpr double near_twin_chance = 0.01, near_twin_warn = 0.2, near_twin_stop = 0.4;
  static constexpr double transformed_warn = 0.02, transformed_stop = 0.1;
  // Shift: over 5% of values beyond the training range by its width, or (from 50 rows) half the
  // varying features moved by 2 training standard deviations or rescaled 3x.
  static constexpr double shift_outside = 0.05, shift_mean = 2.0, shift_scale = 3.0;
  static constexpr std::size_t shift_min_rows = 50;
};

#if TG_HEADER_DEFINITIONS
TG_OUT_OF_LINE std::string feature_list(const std::vector<std::size_t>& f, std::size_t total) {
  std::string s;
  for (std::size_t i = 0; i < std::min<std::size_t>(f.size(), 5); ++i) {
    if (i) s += ", ";
    s += std::to_string(f[i]);
  }
  if (f.size() > 5) s += ", ...";
  return std::to_string(f.size()) + " of " + std::to_string(total) + " features (" + s + ")";
}
#else
std::string feature_list(const std::vector<std::size_t>& f, std::size_t total);
#endif

#if TG_HEADER_DEFINITIONS
TG_OUT_OF_LINE std::string feature_list_values(const std::vector<std::size_t>& v) {
  std::string s;
  for (std::size_t i = 0; i < std::min<std::size_t>(v.size(), 5); ++i)
    s += (i ? (i + 1 == v.size() ? " and " : ", ") : "") + std::to_string(v[i]);
  if (v.size() > 5) s += ", ... (" + std::to_string(v.size()) + " classes)";
  return s;
}
#else
std::string feature_list_values(const std::vector<std::size_t>& v);
#endif

template <class D>
bool any_nonfinite_labels(const D& d) {
  if constexpr (std::is_integral_v<typename D::label_value>)
    return false;
  else
    return any_nonfinite(d.labels());
}

// inputs_nonfinite: what scan_rows found in d's inputs.
template <class D>
void check_nonfinite(const D& d, const std::string& role, GuardSink& sink, bool inputs_nonfinite) {
  if (!sink.on(guard::data_nonfinite) || (!inputs_nonfinite && !any_nonfinite_labels(d))) return;
  for (std::size_t i = 0; i < d.size(); ++i)
    for (std::size_t f = 0; f < D::features; ++f)
      if (!std::isfinite(d.input(i)[f])) {
        std::size_t bad = 0;
        for (auto v : d.inputs()) bad += !std::isfinite(v);
        sink.fire(guard::data_nonfinite, 0, 0, double(bad),
                  role + " data has " + std::to_string(bad) +
                      " NaN/Inf input values; the first is "
                      "row " +
                      std::to_string(i) + ", column " + std::to_string(f) + " (" +
                      fmt(d.input(i)[f]) +
                      "). A missing value poisons every weight it reaches in "
                      "one step. Impute or drop those rows before training.");
        return;
      }
  if constexpr (!std::is_integral_v<typename D::label_value>) {
    const auto labels = d.labels();
    for (std::size_t k = 0; k < labels.size(); ++k)
      if (!std::isfinite(labels[k])) {
        sink.fire(guard::data_nonfinite, 0, 0, 1,
                  role + " labels have a NaN/Inf at row " + std::to_string(k / D::label_width) +
                      ". The loss would be NaN from the first batch. Fix or drop those rows.");
        return;
      }
  }
}

// Class indices outside [0, K) would index outside the output: refused whatever the policy.
template <class D>
void check_labels(const D& d, const std::string& role, GuardSink& sink) {
  using L = typename D::labels_type;
  const auto labels = d.labels();
  if constexpr (L::kind == LabelKind::class_index) {
    for (std::size_t i = 0; i < labels.size(); ++i)
      if (labels[i] < 0 || std::size_t(labels[i]) >= L::classes) {
        const std::string msg =
            role + " row " + std::to_string(i) + " has class " + std::to_string(labels[i]) +
            " outside [0, " + std::to_string(L::classes) + ") of " + L::name() +
            ". It would index outside the model's output. Fix the labels or the number of classes.";
        if (sink.policy().level(guard::data_labels) == GuardLevel::stop)
          sink.fire(guard::data_labels, 0, 0, double(labels[i]), msg);
        throw std::invalid_argument("[" + std::string(guard::data_labels) + "] " + msg);
      }
  } else if constexpr (L::kind == LabelKind::one_hot) {
    if (!sink.on(guard::data_labels)) return;
    for (std::size_t i = 0; i < d.size(); ++i) {
      double sum = 0;
      for (std::size_t k = 0; k < L::width; ++k) sum += d.label(i)[k];
      if (std::abs(sum - 1.0) > 1e-3)
        return sink.fire(guard::data_labels, 0, 0, sum,
                         role + " row " + std::to_string(i) + " has one-hot labels summing to " +
                             fmt(sum) +
                             ", not 1. Cross-entropy then rewards the wrong mass. "
                             "Encode each row with exactly one 1.");
    }
  } else if constexpr (L::kind == LabelKind::binary || L::kind == LabelKind::multi_hot) {
    if (!sink.on(guard::data_labels)) return;
    for (std::size_t i = 0; i < labels.size(); ++i)
      if (labels[i] != 0 && labels[i] != 1)
        return sink.fire(guard::data_labels, 0, 0, double(labels[i]),
                         role + " row " + std::to_string(i / L::width) + " has " + L::name() +
                             " label " + fmt(labels[i]) +
                             (L::width > 1 ? " at output " + std::to_string(i % L::width) : "") +
                             ", not 0 or 1. Map the labels to {0, 1}.");
  } else if constexpr (L::kind == LabelKind::probability) {
    if (!sink.on(guard::data_labels)) return;
    for (std::size_t i = 0; i < labels.size(); ++i)
      if (!(labels[i] >= 0 && labels[i] <= 1))
        return sink.fire(guard::data_labels, 0, 0, double(labels[i]),
                         role + " row " + std::to_string(i / L::width) + " has target " +
                             fmt(labels[i]) + " at output " + std::to_string(i % L::width) +
                             ", outside [0, 1] of " + L::name() +
                             ". Cross-entropy on such a target has no minimum at the target. "
                             "Scale the targets into [0, 1] (pixels: divide by 255), or declare "
                             "them Real<S> with a regression loss.");
  }
}

template <class D>
void check_nonfinite(const D& d, const std::string& role, GuardSink& sink) {
  check_nonfinite(d, role, sink, sink.on(guard::data_nonfinite) && any_nonfinite(d.inputs()));
}

template <class D>
bool constant_on_every_row(const D& d, std::size_t f, typename D::scalar value) {
  for (std::size_t i = 0; i < d.size(); ++i)
    if (d.input(i)[f] != value) return false;
  return true;
}

// A model's own input scaling (its Normalization layer): per channel (the last axis), the mean
// subtracted and the standard deviation divided by.
struct InputNormalization {
  std::vector<double> mean, sd;
};

// Per-feature statistics of a block of rows (at most DataThresholds::statistics_rows of them,
// spread evenly over the data): what the range and constant checks judge, and what the model
// keeps of its training data to compare later data with (TG-DATA-SHIFT).
struct FeatureStats {
  std::vector<double> mean, sd, lo, hi;
  std::size_t rows = 0;  // rows the statistics were taken over
  // From a loaded model's Normalization statistics (no training data seen): lo and hi are the
  // mean -/+ 4 standard deviations.
  bool from_normalization = false;
  bool empty() const { return rows == 0; }
};

// The reference a model that normalizes its inputs brings without a fit in this program: its
// Normalization layer's mean and standard deviation per feature, and mean -/+ 4 std as range.
inline FeatureStats stats_from_normalization(const InputNormalization& norm, std::size_t F) {
  FeatureStats st;
  const std::size_t channels = norm.mean.size();
  if (channels == 0) return st;
  for (std::size_t f = 0; f < F; ++f) {
    const double mu = norm.mean[f % channels], sd = norm.sd[f % channels];
    st.mean.push_back(mu);
    st.sd.push_back(sd);
    st.lo.push_back(mu - 4 * sd);
    st.hi.push_back(mu + 4 * sd);
  }
  st.rows = 1;
  st.from_normalization = true;
  return st;
}

template <class S>
FeatureStats feature_stats(const S* x, std::size_t n, std::size_t F) {
  FeatureStats out;
  if (n == 0) return out;
  std::vector<double> sum(F), sumsq(F);
  std::vector<S> lo(F, std::numeric_limits<S>::infinity()),
      hi(F, -std::numeric_limits<S>::infinity());
  // Blocks of rows summed in the data's own precision (vectorises), then added in double.
  constexpr std::size_t block = 256;
  std::vector<S> bsum(F), bsq(F);
  // The sampled rows are blocks of consecutive rows spread evenly over the data: memory is read
  // in order (hardware prefetch works), and sorted data is still sampled from end to end.
  const std::size_t rows = std::min(n, DataThresholds::statistics_rows);
  const std::size_t blocks = (rows + block - 1) / block;
  for (std::size_t b = 0; b < blocks; ++b) {
    std::fill(bsum.begin(), bsum.end(), S(0));
    std::fill(bsq.begin(), bsq.end(), S(0));
    const std::size_t count = std::min(block, rows - b * block);
    const std::size_t first = rows == n ? b * block  // every row, once
                                        : (n - count) * b / std::max<std::size_t>(blocks - 1, 1);
    for (std::size_t r = first; r < first + count; ++r) {
      const S* row = x + r * F;
      for (std::size_t f = 0; f < F; ++f) {
        bsum[f] += row[f];
        bsq[f] += row[f] * row[f];
        lo[f] = std::min(lo[f], row[f]);
        hi[f] = std::max(hi[f], row[f]);
      }
    }
    for (std::size_t f = 0; f < F; ++f) sum[f] += bsum[f], sumsq[f] += bsq[f];
  }
  out.rows = rows;
  out.mean.resize(F), out.sd.resize(F), out.lo.assign(lo.begin(), lo.end());
  out.hi.assign(hi.begin(), hi.end());
  for (std::size_t f = 0; f < F; ++f) {
    out.mean[f] = sum[f] / double(rows);
    out.sd[f] = std::sqrt(std::max(0.0, sumsq[f] / double(rows) - out.mean[f] * out.mean[f]));
  }
  return out;
}

template <class D>
FeatureStats feature_stats(const D& d) {
  return feature_stats(d.inputs().data(), d.size(), D::features);
}

// Whether the features look like one measurement repeated (pixels of a flattened image): at
// least 64 of them, and at least half spanning half the range all of them share.
inline bool homogeneous_features(const FeatureStats& st) {
  const std::size_t F = st.lo.size();
  if (F < 64) return false;
  double lo = st.lo[0], hi = st.hi[0];
  for (std::size_t f = 0; f < F; ++f) lo = std::min(lo, st.lo[f]), hi = std::max(hi, st.hi[f]);
  if (!(hi > lo)) return false;
  std::size_t wide = 0;
  for (std::size_t f = 0; f < F; ++f) wide += st.hi[f] - st.lo[f] >= 0.5 * (hi - lo);
  return 2 * wide >= F;
}

// The statistics of the inputs as the layer after a Normalization sees them.
inline FeatureStats normalized_stats(const FeatureStats& st, const InputNormalization& norm) {
  FeatureStats out = st;
  const std::size_t channels = norm.mean.size();
  for (std::size_t f = 0; f < st.mean.size() && channels > 0; ++f) {
    const double mu = norm.mean[f % channels], sd = norm.sd[f % channels];
    out.mean[f] = (st.mean[f] - mu) / sd;
    out.sd[f] = st.sd[f] / sd;
    out.lo[f] = (st.lo[f] - mu) / sd;
    out.hi[f] = (st.hi[f] - mu) / sd;
  }
  return out;
}

// TG-DATA-RANGE and TG-DATA-CONSTANT. With `norm` (the model normalizes its own inputs) the
// range is judged after that layer: its statistics came from other data when it fires.
template <class D>
void check_features(const D& d, const FeatureStats& raw, const std::string& role, GuardSink& sink,
                    const InputNormalization* norm = nullptr) {
  const bool range = sink.on(guard::data_range), constant = sink.on(guard::data_constant);
  if ((!range && !constant) || raw.empty()) return;
  const FeatureStats scaled = norm ? normalized_stats(raw, *norm) : FeatureStats{};
  const FeatureStats& st = norm ? scaled : raw;
  constexpr std::size_t F = D::features;
  std::vector<std::size_t> unscaled, flat;
  std::size_t worst = 0;
  double worst_score = -1;
  for (std::size_t f = 0; f < F; ++f) {
    const double magnitude = std::max(std::abs(st.lo[f]), std::abs(st.hi[f]));
    const double score = std::abs(st.mean[f]) + st.sd[f];
    if (score > DataThresholds::unscaled_spread || magnitude > DataThresholds::unscaled_magnitude) {
      unscaled.push_back(f);
      if (score > worst_score) worst_score = score, worst = f;
    }
    if (st.lo[f] == st.hi[f] && constant_on_every_row(d, f, typename D::scalar(st.lo[f])))
      flat.push_back(f);
  }
  if (range && !unscaled.empty() && norm)
    sink.fire(guard::data_range, 0, 0, worst_score,
              role + " inputs are not scaled after the model's Normalization layer: " +
                  feature_list(unscaled, F) + " lie far beyond [-1, 1] or unit variance; feature " +
                  std::to_string(worst) + " spans [" + fmt(raw.lo[worst]) + ", " +
                  fmt(raw.hi[worst]) + "] with mean " + fmt(raw.mean[worst]) +
                  ", but the layer subtracts " + fmt(norm->mean[worst % norm->mean.size()]) +
                  " and divides by " + fmt(norm->sd[worst % norm->sd.size()]) +
                  ". Its statistics come from other data. Call model.adapt(train) with the "
                  "training data before fit.");
  else if (range && !unscaled.empty())
    sink.fire(guard::data_range, 0, 0, worst_score,
              role + " inputs are not scaled: " + feature_list(unscaled, F) +
                  " lie far beyond [-1, 1] or unit variance; feature " + std::to_string(worst) +
                  " spans [" + fmt(st.lo[worst]) + ", " + fmt(st.hi[worst]) + "] with mean " +
                  fmt(st.mean[worst]) + " and std " + fmt(st.sd[worst]) +
                  ". Large inputs saturate activations and make the learning rate wrong for "
                  "every weight. Add tg::Normalization after Input and call model.adapt(train), "
                  "or fit data::StandardScaler on the training data and transform every "
                  "dataset with it.");
  // In images, constant pixels (a border that is always black) are normal and cannot be
  // dropped from a fixed shape: only images that are mostly constant are reported. The same for
  // images flattened to one axis and other homogeneous vectors (spectra, counts): many features
  // on one common scale, most of them spanning at least half of it.
  const bool image = D::input_shape::rank >= 2 || homogeneous_features(st);
  if (constant && !flat.empty() && image && 2 * flat.size() >= F)
    sink.fire(guard::data_constant, 0, 0, double(flat.size()),
              role + " images have " + std::to_string(flat.size()) + " of " + std::to_string(F) +
                  " values that never change (e.g. value " + std::to_string(flat[0]) +
                  " is always " + fmt(st.lo[flat[0]]) +
                  "). Most of each image carries no information: check how the images were "
                  "read (shape, channel order, offsets).");
  if (constant && !flat.empty() && !image)
    sink.fire(guard::data_constant, 0, 0, double(flat.size()),
              role + " data has constant (zero-variance) " + feature_list(flat, F) +
                  ", e.g. "
                  "feature " +
                  std::to_string(flat[0]) + " is always " + fmt(st.lo[flat[0]]) +
                  ". They carry no information and cannot be standardised. Drop them.");
}

// Data that is not on the training data's scale: values far outside the training range, or
// most features moved by more than two training standard deviations or scaled by more than 3x.
// A test set left unscaled, or scaled by another scaler, gives poor scores without any error.
template <class S>
void check_shift(const FeatureStats& train, const S* x, std::size_t n, std::size_t F,
                 const std::string& role, GuardSink& sink, bool model_normalizes = false) {
  if (!sink.on(guard::data_shift) || train.empty() || n == 0) return;
  // Out of range: beyond the training range by more than its own width (by 1 for a feature
  // constant in training, such as a blank border pixel). No allocation here: predict runs it
  // on every call, single samples included.
  const std::size_t rows = std::min(n, DataThresholds::statistics_rows);
  auto row_at = [&](std::size_t k) {
    return x + (rows == n ? k : k * (n - 1) / std::max<std::size_t>(rows - 1, 1)) * F;
  };
  auto outside = [&](std::size_t f, S v) {
    const double width = train.hi[f] - train.lo[f];
    const double margin = width > 0 ? width : std::max(1.0, std::abs(train.lo[f]));
    return v < train.lo[f] - margin || v > train.hi[f] + margin;
  };
  std::size_t out_count = 0;
  if (rows < 64) {
    for (std::size_t k = 0; k < rows; ++k) {
      const S* row = row_at(k);
      for (std::size_t f = 0; f < F; ++f) out_count += outside(f, row[f]);
    }
  } else {  // many rows: the bounds once, then a loop that vectorises
    std::vector<S> low(F), high(F);
    for (std::size_t f = 0; f < F; ++f) {
      const double width = train.hi[f] - train.lo[f];
      const double margin = width > 0 ? width : std::max(1.0, std::abs(train.lo[f]));
      low[f] = S(train.lo[f] - margin), high[f] = S(train.hi[f] + margin);
    }
    for (std::size_t k = 0; k < rows; ++k) {
      const S* row = row_at(k);
      std::size_t c = 0;
      for (std::size_t f = 0; f < F; ++f)
        c += std::size_t(row[f] < low[f]) + std::size_t(row[f] > high[f]);
      out_count += c;
    }
  }
  const double outside_fraction = double(out_count) / double(rows * F);
  const bool out_of_range = outside_fraction > DataThresholds::shift_outside;
  if (!out_of_range && n < DataThresholds::shift_min_rows) return;
  const FeatureStats st = feature_stats(x, n, F);
  std::size_t worst = 0, worst_count = 0;
  for (std::size_t f = 0; f < F && out_of_range; ++f) {
    std::size_t c = 0;
    for (std::size_t k = 0; k < rows; ++k) c += outside(f, row_at(k)[f]);
    if (c > worst_count) worst_count = c, worst = f;
  }
  // Moved or rescaled: judged on features that vary in training, with enough rows for a mean
  // and a spread to mean something.
  std::size_t varying = 0, moved = 0, moved_worst = 0;
  double moved_score = 0;
  if (n >= DataThresholds::shift_min_rows)
    for (std::size_t f = 0; f < F; ++f) {
      if (!(train.sd[f] > 0)) continue;
      ++varying;
      const double z = std::abs(st.mean[f] - train.mean[f]) / train.sd[f];
      const double ratio = st.sd[f] / train.sd[f];
      const double score =
          std::max({z / DataThresholds::shift_mean, ratio / DataThresholds::shift_scale,
                    ratio > 0 ? 1 / (ratio * DataThresholds::shift_scale) : INFINITY});
      if (score <= 1) continue;
      ++moved;
      if (score > moved_score) moved_score = score, moved_worst = f;
    }
  const bool rescaled = moved > 0 && 2 * moved >= varying;
  if (!out_of_range && !rescaled) return;
  std::string seen;
  if (out_of_range)
    seen = fmt(100 * outside_fraction, 3) +
           (train.from_normalization
                ? "% of the values lie beyond the range the model's Normalization statistics "
                  "give (mean -/+ 4 std) by more than its width (feature "
                : "% of the values lie beyond the training range by more than its width "
                  "(feature ") +
           std::to_string(worst) + ": [" + fmt(train.lo[worst]) + ", " + fmt(train.hi[worst]) +
           "] in training, [" + fmt(st.lo[worst]) + ", " + fmt(st.hi[worst]) + "] here)";
  if (rescaled) {
    const std::size_t f = moved_worst;
    seen += std::string(out_of_range ? "; " : "") + std::to_string(moved) + " of " +
            std::to_string(varying) +
            " features moved by more than 2 training standard deviations or changed their "
            "spread more than 3x (feature " +
            std::to_string(f) + ": mean " + fmt(train.mean[f]) + " and std " + fmt(train.sd[f]) +
            " in training, " + fmt(st.mean[f]) + " and " + fmt(st.sd[f]) + " here)";
  }
  sink.fire(guard::data_shift, 0, 0,
            out_of_range ? outside_fraction : double(moved) / double(varying),
            role + " inputs are not on the training data's scale: " + seen +
                ". The model reads them as it would any input, so its scores and predictions "
                "are meaningless (an unscaled test set scores near chance, silently). " +
                (model_normalizes
                     ? std::string("The model scales its own inputs (its Normalization layer): "
                                   "give it the data raw, as the training data was, without a "
                                   "scaler of its own.")
                     : std::string("Transform this data with the scaler fitted on the training "
                                   "data (scaler.transform(data)).")));
}

// TG-DATA-ABSENT-CLASS and TG-DATA-IMBALANCE. With `weights` (one per row: fit's class and
// sample weights) the balance is judged on the weighted counts, as the loss sees them.
template <class D>
void check_imbalance(const D& d, const std::string& role, GuardSink& sink,
                     std::span<const typename D::scalar> weights = {}) {
  using L = typename D::labels_type;
  if constexpr (L::kind == LabelKind::class_index || L::kind == LabelKind::one_hot ||
                L::kind == LabelKind::binary) {
    if (!sink.on(guard::data_imbalance) || d.size() == 0) return;
    constexpr std::size_t K = L::classes;
    std::vector<std::size_t> count(K);
    std::vector<double> weighted(K);
    for (std::size_t i = 0; i < d.size(); ++i) {
      const std::size_t k = class_of_label<L>(d.label(i));
      ++count[k];
      weighted[k] += weights.empty() ? 1.0 : double(weights[i]);
    }
    std::vector<std::size_t> absent;
    for (std::size_t k = 0; k < K; ++k)
      if (count[k] == 0) absent.push_back(k);
    if (!absent.empty() && sink.on(guard::data_absent_class))
      sink.fire(guard::data_absent_class, 0, 0, double(absent.size()),
                role + " labels never contain class " + feature_list_values(absent) + " of " +
                    L::name() + " (" + std::to_string(d.size()) +
                    " rows). The model cannot learn a class it never sees, and its output for it "
                    "only takes probability away from the others. Labels numbered from 1 with "
                    "one output too many do this: number classes from 0 with as many outputs as "
                    "classes, or add examples of the class.");
    double entropy = 0, total = 0;
    const double n = double(d.size());
    for (double w : weighted) total += w;
    for (double w : weighted)
      if (w > 0) entropy -= w / total * std::log(w / total);
    // Among the classes present: an absent class is TG-DATA-ABSENT-CLASS's report.
    const std::size_t present = K - absent.size();
    if (present < 2) return;
    const double perplexity = (std::exp(entropy) - 1) / double(present - 1);
    if (perplexity >= DataThresholds::balanced_perplexity) return;
    std::string counts, class_weights;
    for (std::size_t k = 0; k < K; ++k) {
      if (k) counts += ", ", class_weights += ", ";
      counts += std::to_string(count[k]);
      class_weights += count[k] ? fmt(n / (double(present) * double(count[k])), 3) : "0";
    }
    auto weighted_list = [](const std::vector<double>& w) {
      std::string out;
      for (std::size_t k = 0; k < w.size(); ++k) out += (k ? ", " : "") + fmt(w[k], 4);
      return out;
    };
    sink.fire(guard::data_imbalance, 0, 0, perplexity,
              role + " classes are imbalanced: counts [" + counts +
                  (weights.empty()
                       ? std::string()
                       : "] (with fit's weights, the loss sees [" + weighted_list(weighted) + ")") +
                  "], normalised label perplexity " + fmt(perplexity, 3) +
                  " < 0.5. A model can score well by predicting the majority class. Weight the "
                  "classes, FitOptions::class_weight = {" +
                  class_weights +
                  "} (n / (K count): data::balanced_class_weights(train)), and judge the model by "
                  "per-class recall "
                  "(FitOptions::metrics = {Metric::per_class_recall}).");
  }
}

// How many rows of a table hold each value of a column, to judge whether equal rows can be
// chance: a column is copied and sorted the first time a question needs it.
template <class D>
class ColumnValues {
  using S = typename D::scalar;

 public:
  explicit ColumnValues(const D& d) : d_(&d), sorted_(D::features) {}
  // The expected number of the table's rows (besides `self` rows that are the row itself: 0 or
  // 1) matching `row` on every value if the columns were independent: the product over columns
  // of the share of rows holding the row's value. A column that is a function of another
  // repeating column (a group's size next to the group's id) adds no evidence and is left out.
  // Stops once below `floor`.
  double chance_matches(const S* row, std::size_t self, double floor) {
    const std::size_t n = d_->size();
    // Images are not tables of a few values: equal images are copies, never chance.
    if (n <= self || D::input_shape::rank >= 2) return 0;
    if (dependent_.empty()) find_dependent_columns();
    double e = double(n - self);
    for (std::size_t f = 0; f < D::features && e >= floor; ++f)
      if (!dependent_[f])
        e *= std::max(0.0, double(count(f, row[f])) - double(self)) / double(n - self);
    return e;
  }

 private:
  const std::vector<S>& column(std::size_t f) {
    auto& c = sorted_[f];
    if (c.empty()) {
      c.reserve(d_->size());
      for (std::size_t i = 0; i < d_->size(); ++i)
        if (std::isfinite(d_->input(i)[f])) c.push_back(d_->input(i)[f]);
      std::sort(c.begin(), c.end());
    }
    return c;
  }
  std::size_t count(std::size_t f, S v) {
    if (!std::isfinite(v)) return 0;
    const auto& c = column(f);
    const auto [a, b] = std::equal_range(c.begin(), c.end(), v);
    return std::size_t(b - a);
  }
  // Tables of up to 16 columns: f depends on g when every value of g (a column whose values
  // repeat) comes with one value of f.
  void find_dependent_columns() {
    constexpr std::size_t F = D::features;
    dependent_.assign(F, 0);
    const std::size_t n = d_->size();
    if (F > 16 || n < 4) return;
    std::array<std::size_t, (F > 16 ? 1 : F)> distinct{};
    for (std::size_t f = 0; f < F; ++f) distinct[f] = count_distinct(column(f));
    for (std::size_t f = 0; f < F; ++f)
      for (std::size_t g = 0; g < F && !dependent_[f]; ++g)
        if (g != f && !dependent_[g] && 2 * distinct[g] <= n && distinct[f] <= distinct[g] &&
            determines(g, f))
          dependent_[f] = 1;
  }
  static std::size_t count_distinct(const std::vector<S>& sorted) {
    std::size_t k = 0;
    for (std::size_t i = 0; i < sorted.size(); ++i) k += i == 0 || sorted[i] != sorted[i - 1];
    return k;
  }
  bool determines(std::size_t g, std::size_t f) const {
    std::vector<std::pair<S, S>> pairs;
    pairs.reserve(d_->size());
    for (std::size_t i = 0; i < d_->size(); ++i) {
      const S* x = d_->input(i);
      if (std::isfinite(x[g]) && std::isfinite(x[f])) pairs.emplace_back(x[g], x[f]);
    }
    std::sort(pairs.begin(), pairs.end());
    for (std::size_t i = 1; i < pairs.size(); ++i)
      if (pairs[i].first == pairs[i - 1].first && pairs[i].second != pairs[i - 1].second)
        return false;
    return true;
  }
  const D* d_;
  std::vector<std::vector<S>> sorted_;
  std::vector<char> dependent_;
};

// The training rows, sorted by hash, and how often they repeat.
struct TrainRows {
  RowIndex index;
  std::size_t twins = 0;       // rows equal to another training row
  std::size_t rare_twins = 0;  // of which the values are too rare for the copy to be chance
};

// index: d's rows sorted by hash (scan_rows); kept in the result for the leakage guard.
template <class D>
TrainRows check_duplicates(const D& d, const std::string& role, GuardSink& sink, RowIndex index,
                           ColumnValues<D>& columns) {
  TrainRows out;
  std::size_t first = d.size(), first_copies = 0;
  std::vector<std::size_t> group, members;
  // Rows with equal hashes are neighbours; among them, each set of equal rows is judged once.
  for (std::size_t a = 0; a < index.size();) {
    std::size_t b = a + 1;
    while (b < index.size() && index[b].first == index[a].first) ++b;
    if (b == a + 1) {  // a hash of its own: no copy
      a = b;
      continue;
    }
    for (std::size_t j = a; j < b; ++j) group.push_back(index[j].second);
    while (!group.empty()) {
      members.clear();
      const std::size_t head = group.front();
      std::erase_if(group, [&](std::size_t r) {
        const bool same = same_inputs(d, head, d, r);
        if (same) members.push_back(r);
        return same;
      });
      if (members.size() < 2) continue;
      out.twins += members.size();
      if (columns.chance_matches(d.input(head), 1, DataThresholds::chance_copies) <
          DataThresholds::chance_copies) {
        out.rare_twins += members.size();
        const std::size_t lowest = *std::min_element(members.begin(), members.end());
        if (lowest < first) first = lowest, first_copies = members.size() - 1;
      }
    }
    a = b;
  }
  const double n = double(d.size());
  if (double(out.rare_twins) >= std::max(3.0, DataThresholds::duplicate_share * n))
    sink.fire(guard::data_duplicates, 0, 0, double(out.rare_twins),
              role + " data has " + std::to_string(out.rare_twins) + " rows (" +
                  fmt(100.0 * double(out.rare_twins) / n, 3) +
                  "%) that are exact copies of another row, with values too rare to coincide "
                  "by chance (first: row " +
                  std::to_string(first) + ", " + std::to_string(first_copies) + " more " +
                  (first_copies == 1 ? "copy" : "copies") +
                  "). Copies over-weight those samples and, split across training and "
                  "validation, leak into the scores: oversampling or a table appended twice does "
                  "this. Deduplicate before splitting (and weight classes instead of copying "
                  "rows)." +
                  (out.twins > out.rare_twins
                       ? " (" + std::to_string(out.twins - out.rare_twins) +
                             " more rows equal another through common values, as tables of "
                             "small integer scores do; those are not counted.)"
                       : std::string()));
  out.index = std::move(index);
  return out;
}

// Whether `count` of `n` held-out rows is more than a rate seen in the training data predicts:
// above chance (beyond three binomial standard deviations and one row), and clearly so (twice
// that margin, and 5% of the rows).
struct Excess {
  double expected = 0;
  bool above = false, clear = false;
};
inline Excess beyond_chance(std::size_t count, double rate, std::size_t n) {
  Excess e;
  e.expected = rate * double(n);
  const double margin = 3 * std::sqrt(double(n) * rate * (1 - rate)) + 1;
  const double excess = double(count) - e.expected;
  e.above = excess > margin;
  e.clear = excess > 2 * margin && excess >= DataThresholds::leak_share * double(n);
  return e;
}
// The upper end of the 95% Wilson interval of a rate seen as `hits` of `n`.
inline double repeat_rate_bound(std::size_t hits, std::size_t n) {
  if (n == 0) return 0;
  constexpr double z = 1.96;
  const double m = double(n), p = double(hits) / m;
  return std::min(1.0,
                  (p + z * z / (2 * m) + z * std::sqrt(p * (1 - p) / m + z * z / (4 * m * m))) /
                      (1 + z * z / m));
}

#if TG_HEADER_DEFINITIONS
TG_OUT_OF_LINE void report_shared_rows(std::size_t shared, std::size_t n, std::size_t first,
                                       const Excess& excess, const std::string& role,
                                       GuardSink& sink) {
  sink.fire(guard::data_leakage, 0, 0, double(shared) / double(n),
            std::to_string(shared) + " of " + std::to_string(n) + " " + role + " rows (" +
                fmt(100.0 * double(shared) / double(n), 3) + "%, first: row " +
                std::to_string(first) +
                ") also appear in the training data, where the training data's own repeats "
                "predict about " +
                fmt(excess.expected, 3) +
                " by chance. Scores on them measure memory, not generalisation. Deduplicate "
                "across the split (hash the rows) and split again.",
            excess.clear ? GuardLevel::stop : GuardLevel::warn);
}
#else
void report_shared_rows(std::size_t shared, std::size_t n, std::size_t first, const Excess& excess,
                        const std::string& role, GuardSink& sink);
#endif

// Held-out rows that the scaler of the held-out data saw when it was fitted (not counting rows
// that are also training rows: a scaler fitted on the training data saw those).
template <class D>
void check_scaler_leak(const D& other, const std::vector<std::uint8_t>& shared,
                       const std::string& role, GuardSink& sink) {
  const auto seen = other.rows_seen_by_scaler();
  if (!sink.on(guard::data_scaler_leak) || seen.empty()) return;
  std::size_t count = 0;
  for (std::size_t i = 0; i < seen.size(); ++i)
    count += seen[i] && !(i < shared.size() && shared[i]);
  const double n = double(other.size());
  if (double(count) <= std::max(1.0, 0.01 * n)) return;
  sink.fire(guard::data_scaler_leak, 0, 0, double(count) / n,
            "the scaler applied to the " + role + " data was fitted on data that included " +
                std::to_string(count) + " of its " + std::to_string(other.size()) + " rows (" +
                fmt(100.0 * double(count) / n, 3) +
                "%): fitted before the split, on training and " + role +
                " data together, or on the " + role +
                " data itself. Its statistics leak the held-out data into training and inflate "
                "the scores. Split first, fit the scaler on the training part only, then "
                "transform each part with it.");
}

// Held-out rows with a near twin in the training data: augmenting (noise, shifts, flips)
// before splitting puts copies of one sample on both sides of the split.
struct NearTwins {
  std::size_t checked = 0, near = 0;                // nearest-neighbour test, on a sample
  std::size_t images_checked = 0, transformed = 0;  // flipped or shifted images
  double dimension = 0;
};

// A row is within noise of a training row when its nearest training row is far closer than the
// next: for points spread in D dimensions, (d1 / d2)^D is uniform on (0, 1), so it falls below
// 0.01 for 1% of rows by chance. D is estimated from the 2nd to 12th neighbours (MacKay and
// Ghahramani's average of Levina and Bickel's estimator), which a single copy leaves alone.
// Distances are in training standard deviations (tables) or in pixel values (images).
template <class D>
void nearest_neighbour_twins(const D& train, const D& other, const FeatureStats& stats,
                             const std::vector<std::uint8_t>& shared, NearTwins& out) {
  constexpr std::size_t F = D::features, k = 12;
  const std::size_t n = train.size();
  if (n < 2 * k || other.size() == 0 || stats.empty()) return;
  const std::size_t budget = DataThresholds::near_twin_work / (n * F);
  const std::size_t rows = std::min({other.size(), budget, DataThresholds::near_twin_rows});
  if (rows < DataThresholds::near_twin_min_rows) return;
  constexpr bool image = D::input_shape::rank >= 2;
  // Rows in float, scaled so that plain squared distances are the weighted ones.
  std::vector<float> scale(F, 1.0f);
  if (!image)
    for (std::size_t f = 0; f < F; ++f) scale[f] = stats.sd[f] > 0 ? float(1 / stats.sd[f]) : 0.0f;
  std::vector<float> queries;
  for (std::size_t s = 0; s < rows; ++s) {
    const std::size_t i = rows == other.size() ? s : s * (other.size() - 1) / (rows - 1);
    if (i < shared.size() && shared[i]) continue;  // an exact copy: the leakage count has it
    for (std::size_t f = 0; f < F; ++f) queries.push_back(float(other.input(i)[f]) * scale[f]);
  }
  const std::size_t q = queries.size() / F;
  // One pass over the training rows, each compared with every query while in cache; eight
  // independent partial sums let the compiler vectorise without reassociating.
  std::vector<float> dist(q * n), row(F);
  for (std::size_t t = 0; t < n; ++t) {
    for (std::size_t f = 0; f < F; ++f) row[f] = float(train.input(t)[f]) * scale[f];
    for (std::size_t j = 0; j < q; ++j) {
      const float* a = queries.data() + j * F;
      float acc[8] = {};
      std::size_t f = 0;
      for (; f + 8 <= F; f += 8)
        for (std::size_t l = 0; l < 8; ++l) {
          const float diff = a[f + l] - row[f + l];
          acc[l] += diff * diff;
        }
      for (; f < F; ++f) acc[0] += (a[f] - row[f]) * (a[f] - row[f]);
      dist[j * n + t] =
          ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    }
  }
  std::vector<std::array<double, k>> nearest;
  for (std::size_t j = 0; j < q; ++j) {
    float* d2 = dist.data() + j * n;
    const auto end = std::remove_if(d2, d2 + n, [](float v) { return !(v > 0); });
    if (std::size_t(end - d2) < k) continue;
    std::partial_sort(d2, d2 + k, end);
    std::array<double, k> d;
    for (std::size_t m = 0; m < k; ++m) d[m] = std::sqrt(double(d2[m]));
    nearest.push_back(d);
  }
  if (nearest.size() < DataThresholds::near_twin_min_rows) return;
  double inverse = 0;
  for (const auto& d : nearest) {
    double sum = 0;
    for (std::size_t j = 1; j + 1 < k; ++j) sum += std::log(d[k - 1] / d[j]);
    inverse += sum / double(k - 2);
  }
  inverse /= double(nearest.size());
  if (!(inverse > 0)) return;
  out.dimension = 1 / inverse;
  out.checked = nearest.size();
  for (const auto& d : nearest)
    out.near += std::pow(d[0] / d[1], out.dimension) < DataThresholds::near_twin_chance;
}

// Images (H x W x C): a held-out image that equals a training image flipped left to right
// and/or shifted by up to two pixels (zero-filled), the augmentations users apply.
template <class D>
void transformed_twins(const D& train, const RowIndex& index, const D& other,
                       const std::vector<std::uint8_t>& shared, NearTwins& out) {
  using Sh = typename D::input_shape;
  if constexpr (Sh::rank == 2 || Sh::rank == 3) {
    constexpr std::size_t H = Sh::dims[0], W = Sh::dims[1], C = Sh::rank == 3 ? Sh::dims[2] : 1;
    using S = typename D::scalar;
    const std::size_t rows = std::min(other.size(), DataThresholds::transformed_rows);
    std::vector<S> variant(D::features);
    for (std::size_t s = 0; s < rows; ++s) {
      const std::size_t i = rows == other.size() ? s : s * (other.size() - 1) / (rows - 1);
      if (i < shared.size() && shared[i]) continue;
      ++out.images_checked;
      const S* x = other.input(i);
      bool found = false;
      for (int flip = 0; flip < 2 && !found; ++flip)
        for (int dy = -2; dy <= 2 && !found; ++dy)
          for (int dx = -2; dx <= 2 && !found; ++dx) {
            if (!flip && dy == 0 && dx == 0) continue;
            for (std::size_t y = 0; y < H; ++y)
              for (std::size_t c = 0; c < W; ++c) {
                const long sy = long(y) - dy, sx0 = long(c) - dx;
                const long sx = flip ? long(W) - 1 - sx0 : sx0;
                const bool inside = sy >= 0 && sy < long(H) && sx >= 0 && sx < long(W);
                for (std::size_t ch = 0; ch < C; ++ch)
                  variant[(y * W + c) * C + ch] =
                      inside ? x[(std::size_t(sy) * W + std::size_t(sx)) * C + ch] : S(0);
              }
            // A blank or symmetric image equals its own flip or shift: not evidence.
            if (std::memcmp(variant.data(), x, D::features * sizeof(S)) == 0) continue;
            found = find_row(index, train, variant.data()) != std::size_t(-1);
          }
      out.transformed += found;
    }
  }
}

// Rows of `other` (validation data) that also appear in the training data, exactly or as a
// near twin, judged against chance; and a scaler fitted on them.
template <class D>
void check_leakage(const D& train, const TrainRows& rows, ColumnValues<D>& columns,
                   const FeatureStats& stats, const D& other, const std::string& role,
                   GuardSink& sink) {
  std::vector<std::uint8_t> shared(other.size());
  std::size_t count = 0, rare = 0, first = 0;
  for (std::size_t i = 0; i < other.size(); ++i) {
    if (!contains_row(rows.index, train, other, i)) continue;
    shared[i] = 1;
    if (count++ == 0) first = i;
    rare += columns.chance_matches(other.input(i), 0, DataThresholds::chance_copies) <
            DataThresholds::chance_copies;
  }
  check_scaler_leak(other, shared, role, sink);
  if (!sink.on(guard::data_leakage) || other.size() == 0) return;
  // Chance: the highest rate of repeats the training data is consistent with (the upper end of
  // its 95% Wilson interval), so that a table whose few duplicate records the split happened to
  // put across is not taken for a table without repeats.
  const Excess all =
      beyond_chance(count, repeat_rate_bound(rows.twins, train.size()), other.size());
  const Excess rare_only =
      beyond_chance(rare, repeat_rate_bound(rows.rare_twins, train.size()), other.size());
  const double n = double(other.size());
  if (all.above || rare_only.above) {
    Excess e = rare_only.above ? rare_only : all;
    e.clear = all.clear || rare_only.clear;
    report_shared_rows(count, other.size(), first, e, role, sink);
    return;
  }
  if (double(rare) >= std::max(3.0, DataThresholds::copied_share * n)) {
    // Copies of rare rows on both sides, in bulk: the data held copies before the split.
    sink.fire(guard::data_leakage, 0, 0, double(count) / n,
              std::to_string(count) + " of " + std::to_string(other.size()) + " " + role +
                  " rows (" + fmt(100.0 * double(count) / n, 3) + "%, first: row " +
                  std::to_string(first) + ") also appear in the training data, " +
                  std::to_string(rare) +
                  " of them with values too rare to coincide: the data held copies before it was "
                  "split (oversampling, or a table appended twice). Scores on them measure "
                  "memory. Deduplicate, then split (oversample only the training part).");
    return;
  }
  NearTwins twins;
  nearest_neighbour_twins(train, other, stats, shared, twins);
  transformed_twins(train, rows.index, other, shared, twins);
  const double near = twins.checked ? double(twins.near) / double(twins.checked) : 0;
  const double moved =
      twins.images_checked ? double(twins.transformed) / double(twins.images_checked) : 0;
  const bool warn = near >= DataThresholds::near_twin_warn ||
                    (twins.transformed >= 2 && moved >= DataThresholds::transformed_warn);
  if (!warn) return;
  const bool stop =
      near >= DataThresholds::near_twin_stop || moved >= DataThresholds::transformed_stop;
  std::string seen;
  if (twins.checked && near >= DataThresholds::near_twin_warn)
    seen = std::to_string(twins.near) + " of " + std::to_string(twins.checked) + " sampled " +
           role +
           " rows lie within noise of a training row (the nearest training row far closer than "
           "the next: (d1/d2)^D < 0.01 at the data's dimension D = " +
           fmt(twins.dimension, 3) + ", which chance gives 1% of rows)";
  if (twins.transformed >= 2 && moved >= DataThresholds::transformed_warn)
    seen += std::string(seen.empty() ? "" : "; ") + std::to_string(twins.transformed) + " of " +
            std::to_string(twins.images_checked) + " sampled " + role +
            " images are a training image flipped or shifted by up to 2 pixels";
  sink.fire(guard::data_leakage, 0, 0, std::max(near, moved),
            seen +
                ". Augmenting (adding noise, shifting, flipping) before splitting puts copies of "
                "one sample on both sides, so the scores measure memory. Split first, then "
                "augment only the training part.",
            stop ? GuardLevel::stop : GuardLevel::warn);
}

// At evaluate and predict: the rows that are training rows, by hash (the training rows are
// gone). Data made only of training rows is the training data, used on purpose: not reported.
// report: judge the shared rows (evaluate) against the training data's own rate of repeats.
template <class D>
std::vector<std::uint8_t> check_leakage_by_hash(const std::vector<std::uint64_t>& train_hashes,
                                                double twin_rate, const D& other,
                                                const std::string& role, GuardSink& sink,
                                                bool& training_data, bool report) {
  std::vector<std::uint8_t> shared(other.size());
  training_data = false;
  if (train_hashes.empty()) return shared;
  std::size_t count = 0, first = 0;
  for (std::size_t i = 0; i < other.size(); ++i)
    if (std::binary_search(train_hashes.begin(), train_hashes.end(), row_hash(other, i))) {
      shared[i] = 1;
      if (count++ == 0) first = i;
    }
  training_data = count == other.size();
  if (training_data || !report || !sink.on(guard::data_leakage)) return shared;
  const Excess e = beyond_chance(count, twin_rate, other.size());
  if (e.above) report_shared_rows(count, other.size(), first, e, role, sink);
  return shared;
}

// What training holds for a batch of b samples: `fixed` bytes (parameters, gradients, optimizer
// state), `per_sample` bytes for each sample of the batch (inputs, outputs, output gradients),
// and `layer_per_sample` bytes of layer buffers for at most `layer_cap` samples (the model runs
// larger batches in micro-batches of that many samples in all).
struct MemoryUse {
  std::size_t fixed, per_sample, layer_per_sample, layer_cap;
  std::size_t bytes(std::size_t b) const {
    return fixed + b * per_sample + std::min(b, layer_cap) * layer_per_sample;
  }
  std::size_t largest_batch(std::size_t available) const {
    if (available < fixed) return 0;
    const std::size_t room = available - fixed;
    const std::size_t small = room / (per_sample + layer_per_sample);
    if (small <= layer_cap) return small;
    return (room - layer_cap * layer_per_sample) / std::max<std::size_t>(per_sample, 1);
  }
};

// Before allocating: what a batch needs against what is available.
// `backend_available`: what the backend that trains says it can give (0 if unknown).
#if TG_HEADER_DEFINITIONS
TG_OUT_OF_LINE void check_memory(const MemoryUse& use, std::size_t batch,
                                 std::size_t backend_available, GuardSink& sink) {
  if (!sink.on(guard::data_memory)) return;
  const std::size_t available =
      sink.policy().memory_limit_bytes ? *sink.policy().memory_limit_bytes : backend_available;
  const std::size_t needed = use.bytes(batch);
  if (available == 0 || needed <= available) return;
  const std::size_t fits = use.largest_batch(available);
  const std::size_t layers = std::min(batch, use.layer_cap) * use.layer_per_sample;
  sink.fire(guard::data_memory, 0, 0, double(needed),
            "batch " + std::to_string(batch) + " needs " + fmt(double(needed) / (1 << 20), 4) +
                " MiB (" + fmt(double(use.fixed) / (1 << 20), 4) +
                " MiB of parameters, gradients and optimizer state, " +
                fmt(double(layers) / (1 << 20), 4) + " MiB of layer buffers and " +
                fmt(double(batch * use.per_sample) / (1 << 20), 4) +
                " MiB of batch inputs and outputs) but " + fmt(double(available) / (1 << 20), 4) +
                " MiB are available. " +
                (fits ? "The largest batch that fits is " + std::to_string(fits) + "."
                      : std::string("Not even one sample fits: shrink the model.")));
}
#else
void check_memory(const MemoryUse& use, std::size_t batch, std::size_t backend_available,
                  GuardSink& sink);
#endif

#if defined(TG_SEPARATE_COMPILATION)
#define TG_DATA_GUARD_INSTANCES(S)                                                                \
  TG_EXTERN_TEMPLATE FeatureStats feature_stats<S>(const S*, std::size_t, std::size_t);           \
  TG_EXTERN_TEMPLATE void check_shift<S>(const FeatureStats&, const S*, std::size_t, std::size_t, \
                                         const std::string&, GuardSink&, bool);
TG_DATA_GUARD_INSTANCES(float)
TG_DATA_GUARD_INSTANCES(double)
#undef TG_DATA_GUARD_INSTANCES
#endif

}  // namespace tensorguard::detail
