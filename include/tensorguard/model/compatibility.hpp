// Checks that join a model, its loss and its data, made where fit/evaluate/predict are called.
#pragma once
#include <type_traits>

#include "../data/labels.hpp"
#include "../detail/diagnostics.hpp"
#include "../losses/loss.hpp"

namespace tensorguard {

template <class ModelInput, class DataInput>
struct dataset_input_shape_differs_from_model_input;
template <class ModelScalar, class DataScalar>
struct dataset_element_type_differs_from_model;
template <class Loss, class Labels>
struct loss_does_not_take_these_labels;
template <class Labels, class OutputShape>
struct label_width_differs_from_model_output;

template <class Loss, class OutputShape>
struct categorical_loss_needs_a_rank_1_output_but_gets;
struct fix_end_with_Flatten_or_GlobalAveragePool2D_then_Dense;

namespace detail {

// Categorical cross-entropy treats the whole output as one distribution.
template <class Net, class Loss>
constexpr bool check_loss_output() {
  constexpr bool categorical =
      Loss::family == loss::Family::categorical || Loss::family == loss::Family::sparse_categorical;
  static_assert(require_v < !categorical || Net::output_shape::rank == 1,
                categorical_loss_needs_a_rank_1_output_but_gets<Loss, typename Net::output_shape>,
                fix_end_with_Flatten_or_GlobalAveragePool2D_then_Dense >);
  return true;
}

template <class L>
concept is_loss = requires {
  { L::name } -> std::convertible_to<const char*>;
  { L::family } -> std::convertible_to<loss::Family>;
};

template <class Net, class D>
constexpr bool check_inputs() {
  static_assert(require_v<std::is_same_v<typename Net::input_shape, typename D::input_shape>,
                          dataset_input_shape_differs_from_model_input<typename Net::input_shape,
                                                                       typename D::input_shape>>);
  static_assert(
      require_v<std::is_same_v<typename Net::scalar, typename D::scalar>,
                dataset_element_type_differs_from_model<typename Net::scalar, typename D::scalar>>);
  return true;
}

template <class Loss, class Labels>
constexpr bool loss_takes_labels() {
  using loss::Family;
  switch (Loss::family) {
    case Family::sparse_categorical:
      return Labels::kind == LabelKind::class_index;
    case Family::categorical:
      return Labels::kind == LabelKind::one_hot;
    case Family::binary:
      return Labels::kind == LabelKind::binary;
    case Family::regression:
      return Labels::kind == LabelKind::real;
  }
  return false;
}

template <class Labels, class Out>
constexpr bool label_width_matches() {
  if constexpr (Labels::kind == LabelKind::class_index)
    return Labels::classes == Out::size;
  else if constexpr (Labels::kind == LabelKind::binary)
    return Out::size == 1;
  else
    return Labels::width == Out::size;
}

template <class Net, class Loss, class D>
constexpr bool check_data() {
  check_inputs<Net, D>();
  using L = typename D::labels_type;
  static_assert(require_v<loss_takes_labels<Loss, L>(), loss_does_not_take_these_labels<Loss, L>>);
  static_assert(require_v<label_width_matches<L, typename Net::output_shape>(),
                          label_width_differs_from_model_output<L, typename Net::output_shape>>);
  return true;
}

}  // namespace detail
}  // namespace tensorguard
