// Dataset<InputShape, Labels, T>: samples of a compile-time shape with typed labels, stored
// contiguously (sample-major, NHWC) so batches are gathered with one copy per sample.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "../core/random.hpp"
#include "../core/shape.hpp"
#include "labels.hpp"

namespace tensorguard {

template <class S, class Labels, class T = float>
class Dataset {
  static_assert(is_shape<S>, "Dataset<S, Labels, T>: S must be a Shape<...>");
  static_assert(
      LabelType<Labels>,
      "Dataset<S, Labels, T>: Labels must be ClassIndex<K>, OneHot<K>, Binary or Real<S>");

 public:
  using input_shape = S;
  using labels_type = Labels;
  using scalar = T;
  using label_value = typename Labels::template value_type<T>;
  static constexpr std::size_t features = S::size;
  static constexpr std::size_t label_width = Labels::width;

  Dataset() = default;
  Dataset(std::vector<T> inputs, std::vector<label_value> labels)
      : inputs_(std::move(inputs)), labels_(std::move(labels)) {
    if (inputs_.size() % features != 0 || labels_.size() % label_width != 0 ||
        inputs_.size() / features != labels_.size() / label_width)
      throw std::invalid_argument(
          "Dataset: " + std::to_string(inputs_.size()) + " input values make " +
          std::to_string(double(inputs_.size()) / features) + " samples of " + S::to_string() +
          " but " + std::to_string(labels_.size()) + " label values make " +
          std::to_string(double(labels_.size()) / label_width) + " labels of " + Labels::name() +
          "; give one label per sample");
  }

  std::size_t size() const { return inputs_.size() / features; }
  bool empty() const { return inputs_.empty(); }
  const T* input(std::size_t i) const { return inputs_.data() + i * features; }
  T* input(std::size_t i) { return inputs_.data() + i * features; }
  const label_value* label(std::size_t i) const { return labels_.data() + i * label_width; }
  std::span<const T> inputs() const { return inputs_; }
  std::span<T> inputs() { return inputs_; }
  std::span<const label_value> labels() const { return labels_; }
  std::span<label_value> labels() { return labels_; }

  void reserve(std::size_t samples) {
    inputs_.reserve(samples * features);
    labels_.reserve(samples * label_width);
  }
  void push_back(std::span<const T> x, std::span<const label_value> y) {
    if (x.size() != features || y.size() != label_width)
      throw std::invalid_argument("Dataset::push_back: a sample of " + S::to_string() + " needs " +
                                  std::to_string(features) + " values and " +
                                  std::to_string(label_width) + " label values, got " +
                                  std::to_string(x.size()) + " and " + std::to_string(y.size()));
    inputs_.insert(inputs_.end(), x.begin(), x.end());
    labels_.insert(labels_.end(), y.begin(), y.end());
    if (!seen_by_scaler_.empty()) seen_by_scaler_.push_back(0);
  }

  // A hash of every input and label value: identifies a dataset's content (checkpoints keep it
  // to recognise their training data).
  std::uint64_t fingerprint() const {
    std::uint64_t h = 1469598103934665603ull;
    auto mix = [&](const void* p, std::size_t bytes) {
      const auto* b = static_cast<const unsigned char*>(p);
      for (std::size_t i = 0; i < bytes; ++i) h = (h ^ b[i]) * 1099511628211ull;
    };
    mix(inputs_.data(), inputs_.size() * sizeof(T));
    mix(labels_.data(), labels_.size() * sizeof(label_value));
    return h;
  }
  // Which rows the scaler that transformed this dataset saw when it was fitted, recognised by
  // content (a hash of the row before scaling), one flag a row; empty when no scaler has. Rows
  // keep their flag through subset, first and data::split, so a scaler fitted before the split
  // is still seen in the validation part (TG-DATA-SCALER-LEAK).
  std::span<const std::uint8_t> rows_seen_by_scaler() const { return seen_by_scaler_; }
  // Called by a scaler's transform: one flag a row (the first scaler to transform the data wins).
  void record_scaling(std::vector<std::uint8_t> seen) {
    if (seen.size() != size())
      throw std::invalid_argument("Dataset::record_scaling: " + std::to_string(seen.size()) +
                                  " flags for " + std::to_string(size()) + " rows");
    if (seen_by_scaler_.empty()) seen_by_scaler_ = std::move(seen);
  }

  // The samples at the given indices, in that order.
  Dataset subset(std::span<const std::size_t> indices) const {
    const std::size_t n = size();
    for (std::size_t k = 0; k < indices.size(); ++k)
      if (indices[k] >= n)
        throw std::out_of_range("Dataset::subset: index " + std::to_string(k) + " is row " +
                                std::to_string(indices[k]) + " but the dataset has " +
                                std::to_string(n) + " rows");
    Dataset out;
    out.reserve(indices.size());
    for (std::size_t i : indices) out.push_back({input(i), features}, {label(i), label_width});
    if (!seen_by_scaler_.empty())
      for (std::size_t i : indices) out.seen_by_scaler_.push_back(seen_by_scaler_[i]);
    return out;
  }
  Dataset first(std::size_t n) const {
    std::vector<std::size_t> idx(std::min(n, size()));
    for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    return subset(idx);
  }

 private:
  std::vector<T> inputs_;
  std::vector<label_value> labels_;
  std::vector<std::uint8_t> seen_by_scaler_;
};

namespace detail {
// The class a label names (class index, one-hot argmax, binary above 0.5).
template <class L, class V>
std::size_t class_of_label(const V* label) {
  if constexpr (L::kind == LabelKind::class_index)
    return std::size_t(label[0]);
  else if constexpr (L::kind == LabelKind::one_hot)
    return argmax(label, L::classes);
  else
    return label[0] > 0.5 ? 1 : 0;
}
}  // namespace detail

namespace data {

// Weights that make every class count as much in the loss (scikit-learn's "balanced"): for
// FitOptions::class_weight, n / (K * count of the class), in class order; 0 for a class the data
// does not hold. Class labels only (ClassIndex, OneHot, Binary).
template <class S, class L, class T>
std::vector<double> balanced_class_weights(const Dataset<S, L, T>& data) {
  static_assert(L::kind == LabelKind::class_index || L::kind == LabelKind::one_hot ||
                    L::kind == LabelKind::binary,
                "balanced_class_weights: needs class labels (ClassIndex, OneHot or Binary)");
  std::vector<double> count(L::classes), weights(L::classes);
  for (std::size_t i = 0; i < data.size(); ++i) {
    const std::size_t k = tensorguard::detail::class_of_label<L>(data.label(i));
    if (k < count.size()) count[k] += 1;
  }
  std::size_t present = 0;
  for (double c : count) present += c > 0;
  for (std::size_t k = 0; k < count.size(); ++k)
    if (count[k] > 0) weights[k] = double(data.size()) / (double(present) * count[k]);
  return weights;
}

// Shuffled split with a seed: returns {training, validation} with round(n * fraction) samples
// in the second part.
template <class S, class L, class T>
std::pair<Dataset<S, L, T>, Dataset<S, L, T>> split(const Dataset<S, L, T>& all,
                                                    double validation_fraction,
                                                    std::uint64_t seed = 42) {
  if (!(validation_fraction > 0 && validation_fraction < 1))
    throw std::invalid_argument("data::split: validation_fraction must be in (0, 1), got " +
                                std::to_string(validation_fraction));
  std::vector<std::size_t> order(all.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  Rng rng(seed);
  shuffle(order.begin(), order.end(), rng);
  const auto n_val = std::size_t(double(all.size()) * validation_fraction + 0.5);
  std::span<const std::size_t> idx(order);
  return {all.subset(idx.subspan(n_val)), all.subset(idx.first(n_val))};
}

}  // namespace data
}  // namespace tensorguard
