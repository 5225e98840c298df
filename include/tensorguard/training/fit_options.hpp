// What fit, evaluate and find_learning_rate take and give: options, callbacks, results.
#pragma once
#include <cmath>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "../detail/diagnostics.hpp"
#include "../guards/guard.hpp"
#include "../guards/training_guards.hpp"
#include "../model/checkpoint.hpp"
#include "history.hpp"
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
  double accuracy = NAN;  // NaN for regression labels
};

}  // namespace tensorguard
