// Metrics beyond the loss and accuracy (FitOptions::metrics, Model::evaluate): MAE and RMSE for
// regression; precision, recall, F1 and ROC AUC for binary decisions; per-class recall and a
// confusion matrix for classes. Computed on the host from each batch's outputs and labels.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "../data/labels.hpp"
#include "epoch_logs.hpp"

namespace tensorguard {

enum class Metric {
  mae,               // mean absolute error over every output (regression targets)
  rmse,              // root mean squared error over every output
  precision,         // of the positive decisions, the share that is right (binary; macro for K)
  recall,            // of the positives, the share found (binary; macro average for K classes)
  f1,                // harmonic mean of precision and recall (binary; macro average for K)
  auc,               // area under the ROC curve, from the scores (Binary, MultiHot)
  per_class_recall,  // recall of each class: recall_0, recall_1, ... (class labels)
  confusion_matrix,  // Evaluation::confusion (class labels; evaluate only)
};

inline const char* metric_name(Metric m) {
  switch (m) {
    case Metric::mae:
      return "mae";
    case Metric::rmse:
      return "rmse";
    case Metric::precision:
      return "precision";
    case Metric::recall:
      return "recall";
    case Metric::f1:
      return "f1";
    case Metric::auc:
      return "auc";
    case Metric::per_class_recall:
      return "per_class_recall";
    case Metric::confusion_matrix:
      return "confusion_matrix";
  }
  return "?";
}

namespace detail {

template <class L>
inline constexpr bool has_classes = L::kind == LabelKind::class_index ||
                                    L::kind == LabelKind::one_hot || L::kind == LabelKind::binary;

// Refuses a metric the label type cannot have, naming the ones it can.
template <class L>
void check_metrics(const std::vector<Metric>& metrics, const char* who, bool in_fit) {
  constexpr bool regression = L::kind == LabelKind::real || L::kind == LabelKind::probability;
  constexpr bool decisions = L::kind == LabelKind::binary || L::kind == LabelKind::multi_hot;
  for (std::size_t i = 0; i < metrics.size(); ++i) {
    const Metric m = metrics[i];
    for (std::size_t j = 0; j < i; ++j)
      if (metrics[j] == m)
        throw std::invalid_argument(std::string(who) + ": metric " + metric_name(m) +
                                    " is given twice");
    bool ok = false;
    switch (m) {
      case Metric::mae:
      case Metric::rmse:
        ok = regression;
        break;
      case Metric::precision:
      case Metric::recall:
      case Metric::f1:
        ok = decisions || has_classes<L>;
        break;
      case Metric::auc:
        ok = decisions;
        break;
      case Metric::per_class_recall:
        ok = has_classes<L>;
        break;
      case Metric::confusion_matrix:
        ok = has_classes<L> && !in_fit;
        break;
    }
    if (ok) continue;
    std::string valid = regression ? "mae, rmse"
                        : decisions && L::kind == LabelKind::binary
                            ? "precision, recall, f1, auc, per_class_recall, confusion_matrix"
                        : decisions ? "precision, recall, f1, auc"
                                    : "precision, recall, f1, per_class_recall, confusion_matrix";
    if (m == Metric::confusion_matrix && has_classes<L>)
      throw std::invalid_argument(std::string(who) +
                                  ": confusion_matrix is a table, not a number per epoch; ask "
                                  "model.evaluate(data, {Metric::confusion_matrix}) for it");
    throw std::invalid_argument(std::string(who) + ": metric " + metric_name(m) +
                                " does not apply to " + L::name() + " labels; these take " + valid);
  }
}

// Sums a pass over batches needs for the metrics asked (one accumulator per pass).
template <class L, class T>
class MetricAccumulator {
  static constexpr std::size_t K = has_classes<L> ? L::classes : 0;

 public:
  MetricAccumulator(std::vector<Metric> metrics, T threshold)
      : metrics_(std::move(metrics)), threshold_(threshold) {
    for (Metric m : metrics_) auc_ = auc_ || m == Metric::auc;
    confusion_.assign(K * K, 0);
  }
  bool empty() const { return metrics_.empty(); }
  void reset(std::size_t rows) {
    abs_ = square_ = 0;
    values_ = 0;
    tp_ = fp_ = fn_ = 0;
    std::fill(confusion_.begin(), confusion_.end(), 0);
    scores_.clear();
    if (auc_) scores_.reserve(rows * L::width);
  }

  // One sample: its outputs (width values) and its label (L::width values).
  template <class V>
  void add(const T* y, const V* label, std::size_t width) {
    if constexpr (L::kind == LabelKind::real || L::kind == LabelKind::probability) {
      for (std::size_t j = 0; j < width; ++j) {
        const double e = double(y[j]) - double(label[j]);
        abs_ += std::abs(e);
        square_ += e * e;
      }
      values_ += width;
    } else if constexpr (L::kind == LabelKind::binary || L::kind == LabelKind::multi_hot) {
      for (std::size_t j = 0; j < L::width; ++j) {
        const bool truth = label[j] > V(0.5), said = y[j] > threshold_;
        tp_ += truth && said;
        fp_ += !truth && said;
        fn_ += truth && !said;
        if constexpr (L::kind == LabelKind::binary) ++confusion_[(truth ? 2 : 0) + (said ? 1 : 0)];
        if (auc_) scores_.emplace_back(double(y[j]), truth);
      }
    } else {
      const std::size_t truth = L::kind == LabelKind::class_index
                                    ? std::size_t(label[0])
                                    : std::size_t(std::max_element(label, label + K) - label);
      const std::size_t said = std::size_t(std::max_element(y, y + width) - y);
      if (truth < K && said < K) ++confusion_[truth * K + said];
    }
  }

  // The metrics' values, in the order asked (per-class recall expands to one value per class).
  std::vector<MetricValue> values() const {
    std::vector<MetricValue> out;
    auto put = [&](std::string name, double v) { out.push_back({std::move(name), v, NAN}); };
    for (Metric m : metrics_) {
      switch (m) {
        case Metric::mae:
          put("mae", values_ ? abs_ / double(values_) : NAN);
          break;
        case Metric::rmse:
          put("rmse", values_ ? std::sqrt(square_ / double(values_)) : NAN);
          break;
        case Metric::precision:
          put("precision", precision());
          break;
        case Metric::recall:
          put("recall", recall());
          break;
        case Metric::f1:
          put("f1", f1());
          break;
        case Metric::auc:
          put("auc", auc());
          break;
        case Metric::per_class_recall:
          for (std::size_t k = 0; k < K; ++k) put("recall_" + std::to_string(k), class_recall(k));
          break;
        case Metric::confusion_matrix:
          break;  // Evaluation::confusion
      }
    }
    return out;
  }
  // Rows: the true class; columns: the predicted one.
  std::vector<std::vector<std::size_t>> confusion() const {
    std::vector<std::vector<std::size_t>> out(K, std::vector<std::size_t>(K));
    for (std::size_t t = 0; t < K; ++t)
      for (std::size_t p = 0; p < K; ++p) out[t][p] = confusion_[t * K + p];
    return out;
  }

 private:
  static double ratio(double a, double b) { return b > 0 ? a / b : 0.0; }  // Keras: 0 for 0/0
  double class_recall(std::size_t k) const {
    double row = 0;
    for (std::size_t p = 0; p < K; ++p) row += double(confusion_[k * K + p]);
    return row > 0 ? double(confusion_[k * K + k]) / row : NAN;
  }
  double class_precision(std::size_t k) const {
    double column = 0;
    for (std::size_t t = 0; t < K; ++t) column += double(confusion_[t * K + k]);
    return ratio(double(confusion_[k * K + k]), column);
  }
  // Binary decisions count the positive class; K classes average over the classes present in
  // the labels (macro, as scikit-learn's average='macro' on those classes).
  template <class F>
  double macro(F&& per_class) const {
    double sum = 0;
    std::size_t n = 0;
    for (std::size_t k = 0; k < K; ++k)
      if (!std::isnan(class_recall(k))) sum += per_class(k), ++n;
    return n ? sum / double(n) : NAN;
  }
  static constexpr bool counts_positives =
      L::kind == LabelKind::binary || L::kind == LabelKind::multi_hot;
  double precision() const {
    if constexpr (counts_positives)
      return ratio(double(tp_), double(tp_ + fp_));
    else
      return macro([&](std::size_t k) { return class_precision(k); });
  }
  double recall() const {
    if constexpr (counts_positives)
      return ratio(double(tp_), double(tp_ + fn_));
    else
      return macro([&](std::size_t k) { return class_recall(k); });
  }
  double f1() const {
    auto f = [](double p, double r) { return p + r > 0 ? 2 * p * r / (p + r) : 0.0; };
    if constexpr (counts_positives)
      return f(precision(), recall());
    else
      return macro([&](std::size_t k) { return f(class_precision(k), class_recall(k)); });
  }
  // The probability that a random positive scores above a random negative (ties count half):
  // the Mann-Whitney statistic over the ranks of all scores. NaN with only one kind present.
  double auc() const {
    if (scores_.empty()) return NAN;
    auto sorted = scores_;
    std::sort(sorted.begin(), sorted.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    double positives = 0, rank_sum = 0;
    for (std::size_t i = 0; i < sorted.size();) {
      std::size_t j = i;
      while (j < sorted.size() && sorted[j].first == sorted[i].first) ++j;
      const double rank = (double(i + 1) + double(j)) / 2;  // the tie's average rank
      for (std::size_t k = i; k < j; ++k)
        if (sorted[k].second) positives += 1, rank_sum += rank;
      i = j;
    }
    const double negatives = double(sorted.size()) - positives;
    if (positives == 0 || negatives == 0) return NAN;
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives);
  }

  std::vector<Metric> metrics_;
  T threshold_;
  bool auc_ = false;
  double abs_ = 0, square_ = 0;
  std::size_t values_ = 0, tp_ = 0, fp_ = 0, fn_ = 0;
  std::vector<std::size_t> confusion_;  // K x K, or 2 x 2 for Binary
  std::vector<std::pair<double, bool>> scores_;
};

}  // namespace detail
}  // namespace tensorguard
