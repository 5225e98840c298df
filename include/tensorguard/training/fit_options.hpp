// What fit, evaluate and find_learning_rate take and give: options, callbacks, results.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include "../data/augmentation.hpp"
#include "../detail/diagnostics.hpp"
#include "../guards/guard.hpp"
#include "../guards/training_guards.hpp"
#include "../model/checkpoint.hpp"
#include "history.hpp"
#include "metrics.hpp"
#include "progress.hpp"

namespace tensorguard {

// What a callback may ask of fit after an epoch or a step.
struct TrainingControl {
  bool stop = false;
  double learning_rate = 0;  // change it to set the optimizer's rate from the next step on
  std::size_t epoch = 1;     // the epoch running, or about to (1-based; a resumed run's first)
};

struct Callback {
  std::function<void(const EpochLogs&, TrainingControl&)> on_epoch_end{};
  std::function<void(std::size_t step, double loss, TrainingControl&)> on_batch_end{};
  // Before the first step of a fit call (a schedule's first rate).
  std::function<void(TrainingControl&)> on_train_begin{};
};

template <class Data>
struct validation_data_is_not_a_Dataset;
template <class TrainingShape, class ValidationShape>
struct validation_input_shape_differs_from_training;
template <class TrainingLabels, class ValidationLabels>
struct validation_labels_differ_from_training;
template <class TrainingScalar, class ValidationScalar>
struct validation_element_type_differs_from_training;
template <class Training>
struct fix_give_validation_data_of_the_training_type;

namespace detail {
template <class D, class V>
consteval auto validation_verdict() {
  if constexpr (!requires {
                  typename V::input_shape;
                  typename V::labels_type;
                  typename V::scalar;
                })
    return fail<validation_data_is_not_a_Dataset<V>,
                fix_give_validation_data_of_the_training_type<D>>;
  else if constexpr (!std::is_same_v<typename D::input_shape, typename V::input_shape>)
    return fail<validation_input_shape_differs_from_training<typename D::input_shape,
                                                             typename V::input_shape>,
                fix_give_validation_data_of_the_training_type<D>>;
  else if constexpr (!std::is_same_v<typename D::labels_type, typename V::labels_type>)
    return fail<
        validation_labels_differ_from_training<typename D::labels_type, typename V::labels_type>,
        fix_give_validation_data_of_the_training_type<D>>;
  else
    return fail<
        validation_element_type_differs_from_training<typename D::scalar, typename V::scalar>,
        fix_give_validation_data_of_the_training_type<D>>;
}
}  // namespace detail

// FitOptions::validation: no data, or a dataset of the training data's type, held by reference
// (it must outlive fit). Data of another type is a compile error that names both shapes.
template <class D>
class ValidationData {
 public:
  ValidationData() = default;
  ValidationData(std::nullopt_t) {}
  ValidationData(const D& data) : data_(&data) {}
  ValidationData(const D&&) = delete;  // a temporary would be gone before fit reads it
  ValidationData(std::reference_wrapper<const D> data) : data_(&data.get()) {}
  ValidationData(std::reference_wrapper<D> data) : data_(&data.get()) {}
  template <class Other>
  requires(!std::is_same_v<std::remove_cvref_t<Other>, D>) ValidationData(Other&&) {
    using verdict = detail::verdict_of<detail::validation_verdict<D, unwrapped<Other>>()>;
    static_assert(sizeof(typename detail::report<verdict>::model_is_valid));  // docs/errors.md
  }

  explicit operator bool() const { return data_ != nullptr; }
  bool has_value() const { return data_ != nullptr; }
  const D& get() const { return *data_; }
  // validation->get(), as with the std::optional<std::reference_wrapper<const D>> it replaces.
  const ValidationData* operator->() const { return this; }

 private:
  template <class T>
  struct unwrap {
    using type = T;
  };
  template <class T>
  struct unwrap<std::reference_wrapper<T>> {
    using type = std::remove_const_t<T>;
  };
  template <class Other>
  using unwrapped = typename unwrap<std::remove_cvref_t<Other>>::type;

  const D* data_ = nullptr;
};

template <class D>
struct FitOptions {
  std::size_t epochs = 1;
  std::size_t batch_size = 32;
  bool shuffle = true;
  ValidationData<D> validation{};  // a dataset (or std::cref of one) of the training type
  Verbosity verbose = Verbosity::automatic;
  std::vector<Callback> callbacks{};
  GuardPolicy guards{};  // levels per guard; GuardPolicy::all(off) disables
  std::optional<EarlyStopping> early_stopping{};  // stop when val_loss stops improving
  std::optional<CheckpointOptions> checkpoint{};  // write the training state as it goes
  std::string resume_from{};                      // a checkpoint to continue from (it must exist)
  // More metrics for the progress line, History and callbacks, over the training batches and
  // the validation data: {Metric::mae}, {Metric::precision, Metric::recall, Metric::auc}, ...
  std::vector<Metric> metrics{};
  // Keras's class_weight and sample_weight: each training sample's loss (and gradient) is
  // multiplied by class_weight[its class] (class labels only; one weight per class) and by
  // sample_weight[its row] (one weight per training row). Empty: 1. Validation is unweighted.
  std::vector<double> class_weight{};
  std::vector<double> sample_weight{};
  // Random flips, shifts and crops of each training batch's images (Shape<H, W, C> inputs),
  // drawn from the model's generator: the same seed gives the same run. Validation, evaluate
  // and predict see the images as they are.
  Augmentation augment{};
};

// Smith's learning-rate range test (find_learning_rate): the rate grows exponentially each
// step from `start` to `end` until the loss explodes.
struct LearningRateSearchOptions {
  double start = 1e-7;
  double end = 10.0;
  std::size_t steps = 100;
  std::size_t batch_size = 64;
};
struct LearningRateSearch {
  double suggested = NAN;      // where the smoothed loss falls fastest
  std::vector<double> rates;   // the rate of each step
  std::vector<double> losses;  // the smoothed loss after it
};

struct Evaluation {
  double loss = NAN;
  double accuracy = NAN;             // NaN for regression labels
  std::vector<MetricValue> metrics;  // the metrics asked of evaluate (value; val_value unused)
  // Metric::confusion_matrix: confusion[true class][predicted class], sample counts.
  std::vector<std::vector<std::size_t>> confusion;

  // auto [loss, accuracy] = model.evaluate(test): the first two values as a pair.
  template <std::size_t I>
  double get() const {
    static_assert(I < 2, "an Evaluation unpacks into loss and accuracy");
    return I == 0 ? loss : accuracy;
  }
  // "loss", "accuracy" or a metric's name ("recall_1", "auc", ...); NaN when not computed.
  double get(std::string_view name) const {
    if (name == "loss") return loss;
    if (name == "accuracy") return accuracy;
    for (const auto& m : metrics)
      if (m.name == name) return m.value;
    return NAN;
  }
  // The confusion matrix as a table: a row per true class, a column per predicted class.
  std::string confusion_table() const {
    std::size_t cell = 5;
    for (const auto& row : confusion)
      for (auto c : row) cell = std::max(cell, std::to_string(c).size() + 1);
    auto pad = [](const std::string& s, std::size_t width) {
      return std::string(width - std::min(width, s.size()), ' ') + s;
    };
    const std::string corner = "true\\pred";
    std::string out = corner;
    for (std::size_t p = 0; p < confusion.size(); ++p) out += pad(std::to_string(p), cell);
    out += '\n';
    for (std::size_t t = 0; t < confusion.size(); ++t) {
      out += pad(std::to_string(t), corner.size());
      for (auto c : confusion[t]) out += pad(std::to_string(c), cell);
      out += '\n';
    }
    return out;
  }
};

}  // namespace tensorguard

// Structured bindings take an Evaluation's loss and accuracy (its metrics stay by name).
template <>
struct std::tuple_size<tensorguard::Evaluation> : std::integral_constant<std::size_t, 2> {};
template <std::size_t I>
struct std::tuple_element<I, tensorguard::Evaluation> {
  using type = double;
};
