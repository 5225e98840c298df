// Guards on data: run once where a dataset enters fit or evaluate.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "../data/labels.hpp"
#include "guard.hpp"

namespace tensorguard::detail {

// A row's hash reads one 8-byte word in every 32 bytes (a multiply-xorshift mix) in four
// independent lanes, so the multiplies overlap instead of waiting on each other: every row of a
// dataset can be hashed each time it enters fit. Rows whose hashes match are then compared in
// full, so the guards count only true duplicates.
template <class D>
std::uint64_t row_hash(const D& d, std::size_t i) {
  constexpr std::size_t bytes = D::features * sizeof(typename D::scalar);
  const auto* p = reinterpret_cast<const unsigned char*>(d.input(i));
  auto mix = [](std::uint64_t h, std::uint64_t w) {
    h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
    return h ^ (h >> 31);
  };
  auto word = [&](std::size_t at) {
    std::uint64_t w;
    std::memcpy(&w, p + at, 8);
    return w;
  };
  std::uint64_t h[4] = {0x9e3779b97f4a7c15ull ^ bytes, 0x94d049bb133111ebull, 0xd6e8feb86659fd93ull,
                        0xa0761d6478bd642full};
  std::size_t k = 0;
  for (; k + 128 <= bytes; k += 128)
    for (std::size_t lane = 0; lane < 4; ++lane) h[lane] = mix(h[lane], word(k + 32 * lane));
  for (; k + 32 <= bytes; k += 32) h[0] = mix(h[0], word(k));
  for (; k < bytes; ++k) h[1] = (h[1] ^ p[k]) * 0x100000001b3ull;
  std::uint64_t out = h[0];
  for (std::size_t lane = 1; lane < 4; ++lane) out = mix(out, h[lane]);
  return out ^ (out >> 29);
}

template <class D>
bool same_inputs(const D& a, std::size_t i, const D& b, std::size_t j) {
  return std::memcmp(a.input(i), b.input(j), D::features * sizeof(typename D::scalar)) == 0;
}

// (row hash, row index) sorted by hash, for finding exact copies of a row.
using RowIndex = std::vector<std::pair<std::uint64_t, std::size_t>>;

template <class D>
bool contains_row(const RowIndex& index, const D& indexed, const D& d, std::size_t i) {
  const std::uint64_t h = row_hash(d, i);
  auto it =
      std::lower_bound(index.begin(), index.end(), std::pair<std::uint64_t, std::size_t>{h, 0});
  for (; it != index.end() && it->first == h; ++it)
    if (same_inputs(indexed, it->second, d, i)) return true;
  return false;
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
};

inline std::string feature_list(const std::vector<std::size_t>& f, std::size_t total) {
  std::string s;
  for (std::size_t i = 0; i < std::min<std::size_t>(f.size(), 5); ++i) {
    if (i) s += ", ";
    s += std::to_string(f[i]);
  }
  if (f.size() > 5) s += ", ...";
  return std::to_string(f.size()) + " of " + std::to_string(total) + " features (" + s + ")";
}

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
  } else if constexpr (L::kind == LabelKind::binary) {
    if (!sink.on(guard::data_labels)) return;
    for (std::size_t i = 0; i < labels.size(); ++i)
      if (labels[i] != 0 && labels[i] != 1)
        return sink.fire(guard::data_labels, 0, 0, double(labels[i]),
                         role + " row " + std::to_string(i) + " has binary label " +
                             fmt(labels[i]) + ", not 0 or 1. Map the labels to {0, 1}.");
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

// Per-feature statistics: unscaled and constant features.
template <class D>
void check_features(const D& d, const std::string& role, bool training, GuardSink& sink) {
  const bool range = sink.on(guard::data_range),
             constant = training && sink.on(guard::data_constant);
  if ((!range && !constant) || d.size() == 0) return;
  constexpr std::size_t F = D::features;
  std::vector<double> sum(F), sumsq(F);
  using S = typename D::scalar;
  std::vector<S> lo(F, std::numeric_limits<S>::infinity()),
      hi(F, -std::numeric_limits<S>::infinity());
  // Blocks of rows summed in the data's own precision (vectorises), then added in double.
  constexpr std::size_t block = 256;
  std::vector<S> bsum(F), bsq(F);
  // The sampled rows are blocks of consecutive rows spread evenly over the data: memory is read
  // in order (hardware prefetch works), and sorted data is still sampled from end to end.
  const std::size_t rows = std::min(d.size(), DataThresholds::statistics_rows);
  const std::size_t blocks = (rows + block - 1) / block;
  for (std::size_t b = 0; b < blocks; ++b) {
    std::fill(bsum.begin(), bsum.end(), S(0));
    std::fill(bsq.begin(), bsq.end(), S(0));
    const std::size_t count = std::min(block, rows - b * block);
    const std::size_t first = rows == d.size()
                                  ? b * block  // every row, once
                                  : (d.size() - count) * b / std::max<std::size_t>(blocks - 1, 1);
    for (std::size_t r = first; r < first + count; ++r) {
      const S* x = d.input(r);
      for (std::size_t f = 0; f < F; ++f) {
        bsum[f] += x[f];
        bsq[f] += x[f] * x[f];
        lo[f] = std::min(lo[f], x[f]);
        hi[f] = std::max(hi[f], x[f]);
      }
    }
    for (std::size_t f = 0; f < F; ++f) sum[f] += bsum[f], sumsq[f] += bsq[f];
  }
  const double n = double(rows);
  std::vector<std::size_t> unscaled, flat;
  std::size_t worst = 0;
  double worst_score = -1;
  for (std::size_t f = 0; f < F; ++f) {
    const double mean = sum[f] / n, sd = std::sqrt(std::max(0.0, sumsq[f] / n - mean * mean));
    const double magnitude = std::max(std::abs(lo[f]), std::abs(hi[f]));
    const double score = std::abs(mean) + sd;
    if (score > DataThresholds::unscaled_spread || magnitude > DataThresholds::unscaled_magnitude) {
      unscaled.push_back(f);
      if (score > worst_score) worst_score = score, worst = f;
    }
    if (lo[f] == hi[f] && constant_on_every_row(d, f, lo[f])) flat.push_back(f);
  }
  if (range && !unscaled.empty()) {
    const double mean = sum[worst] / n;
    const double sd = std::sqrt(std::max(0.0, sumsq[worst] / n - mean * mean));
    sink.fire(guard::data_range, 0, 0, worst_score,
              role + " inputs are not scaled: " + feature_list(unscaled, F) +
                  " lie far beyond [-1, 1] or unit variance; feature " + std::to_string(worst) +
                  " spans [" + fmt(lo[worst]) + ", " + fmt(hi[worst]) + "] with mean " + fmt(mean) +
                  " and std " + fmt(sd) +
                  ". Large inputs saturate activations and make the learning rate wrong for "
                  "every weight. Fit data::StandardScaler (or MinMaxScaler) on the training data "
                  "and transform every dataset with it.");
  }
  // In images, constant pixels (a border that is always black) are normal and cannot be
  // dropped from a fixed shape: only images that are mostly constant are reported.
  constexpr bool image = D::input_shape::rank >= 2;
  if (constant && !flat.empty() && image && 2 * flat.size() >= F)
    sink.fire(guard::data_constant, 0, 0, double(flat.size()),
              role + " images have " + std::to_string(flat.size()) + " of " + std::to_string(F) +
                  " values that never change (e.g. value " + std::to_string(flat[0]) +
                  " is always " + fmt(lo[flat[0]]) +
                  "). Most of each image carries no information: check how the images were "
                  "read (shape, channel order, offsets).");
  if (constant && !flat.empty() && !image)
    sink.fire(guard::data_constant, 0, 0, double(flat.size()),
              role + " data has constant (zero-variance) " + feature_list(flat, F) +
                  ", e.g. "
                  "feature " +
                  std::to_string(flat[0]) + " is always " + fmt(lo[flat[0]]) +
                  ". They carry no information and cannot be standardised. Drop them.");
}

// index: d's rows sorted by hash (scan_rows); returned for the leakage guard to reuse.
template <class D>
RowIndex check_duplicates(const D& d, const std::string& role, GuardSink& sink, RowIndex index) {
  // Rows with equal hashes are neighbours; a row counts once if it equals an earlier one.
  std::size_t dup = 0, first = d.size();
  for (std::size_t a = 0; a < index.size();) {
    std::size_t b = a + 1;
    while (b < index.size() && index[b].first == index[a].first) ++b;
    for (std::size_t j = a + 1; j < b; ++j)
      for (std::size_t k = a; k < j; ++k)
        if (same_inputs(d, index[k].second, d, index[j].second)) {
          ++dup;
          first = std::min(first, std::max(index[k].second, index[j].second));
          break;
        }
    a = b;
  }
  if (dup && sink.on(guard::data_duplicates))
    sink.fire(guard::data_duplicates, 0, 0, double(dup),
              role + " data has " + std::to_string(dup) + " duplicate rows (first: row " +
                  std::to_string(first) +
                  "). Duplicates over-weight some samples and, split across training and test, "
                  "leak. Deduplicate before splitting.");
  return index;
}

template <class D>
void check_imbalance(const D& d, const std::string& role, GuardSink& sink) {
  using L = typename D::labels_type;
  if constexpr (L::kind == LabelKind::class_index || L::kind == LabelKind::one_hot ||
                L::kind == LabelKind::binary) {
    if (!sink.on(guard::data_imbalance) || d.size() == 0) return;
    constexpr std::size_t K = L::classes;
    std::vector<std::size_t> count(K);
    for (std::size_t i = 0; i < d.size(); ++i) {
      if constexpr (L::kind == LabelKind::class_index)
        ++count[std::size_t(d.label(i)[0])];
      else if constexpr (L::kind == LabelKind::one_hot)
        ++count[argmax(d.label(i), K)];
      else
        ++count[d.label(i)[0] > 0.5 ? 1 : 0];
    }
    double entropy = 0;
    const double n = double(d.size());
    for (auto c : count)
      if (c) entropy -= double(c) / n * std::log(double(c) / n);
    const double perplexity = (std::exp(entropy) - 1) / double(K - 1);
    if (perplexity >= DataThresholds::balanced_perplexity) return;
    std::string counts, weights;
    for (std::size_t k = 0; k < K; ++k) {
      if (k) counts += ", ", weights += ", ";
      counts += std::to_string(count[k]);
      weights += count[k] ? fmt(n / (double(K) * double(count[k])), 3) : "inf";
    }
    sink.fire(guard::data_imbalance, 0, 0, perplexity,
              role + " classes are imbalanced: counts [" + counts +
                  "], normalised label "
                  "perplexity " +
                  fmt(perplexity, 3) +
                  " < 0.5. A model can score well by "
                  "predicting the majority class. Resample, or weight classes by [" +
                  weights + "] (n / (K count)), and judge it by per-class recall.");
  }
}

// Rows of `other` (validation or test data) that also appear in the training data.
template <class D>
void check_leakage(const D& train, const RowIndex& rows, const D& other, const std::string& role,
                   GuardSink& sink) {
  if (sink.on(guard::data_scaler_leak)) {
    const auto& t = train.scaling();
    const auto& o = other.scaling();
    if ((t.fitted_on && t.fitted_on == o.before) || (o.fitted_on && o.fitted_on == o.before))
      sink.fire(guard::data_scaler_leak, 0, 0, 1,
                "the scaler applied to the " + role + " data was fitted on the " + role +
                    " data itself. Its statistics leak the held-out data into training and "
                    "inflate the scores. Fit the scaler on the training data only and transform "
                    "the " +
                    role + " data with it.");
  }
  if (!sink.on(guard::data_leakage)) return;
  std::size_t shared = 0, first = 0;
  for (std::size_t i = 0; i < other.size(); ++i)
    if (contains_row(rows, train, other, i) && shared++ == 0) first = i;
  if (shared)
    sink.fire(guard::data_leakage, 0, 0, double(shared) / double(other.size()),
              std::to_string(shared) + " of " + std::to_string(other.size()) + " " + role +
                  " rows (" + fmt(100.0 * double(shared) / double(other.size()), 3) +
                  "%, first: row " + std::to_string(first) +
                  ") also appear in the training data. Scores on them measure memory, not "
                  "generalisation. Deduplicate across the split (hash the rows) and split again.");
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
inline void check_memory(const MemoryUse& use, std::size_t batch, std::size_t backend_available,
                         GuardSink& sink) {
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

}  // namespace tensorguard::detail
