// The checks that join a model to its loss (where the Model is declared) and to its data (where
// fit, evaluate or predict is called). Each returns a verdict (detail/diagnostics.hpp).
#pragma once
#include <type_traits>

#include "../activations/linear.hpp"
#include "../activations/sigmoid.hpp"
#include "../activations/softmax.hpp"
#include "../data/labels.hpp"
#include "../detail/diagnostics.hpp"
#include "../losses/loss.hpp"

namespace tensorguard {

// Loss and output.
template <class Loss>
struct with_loss;
template <class L>
struct is_not_a_loss;
struct fix_use_a_loss_from_tensorguard_loss;
template <class OutputShape>
struct categorical_loss_needs_a_rank_1_output_but_gets;
struct fix_end_with_Flatten_or_GlobalAveragePool2D_then_Dense;
template <class OutputShape>
struct categorical_loss_needs_at_least_2_outputs_but_gets;
struct fix_for_two_classes_use_BinaryCrossentropy_after_Dense_1_Sigmoid;
template <class Activation>
struct from_logits_loss_but_the_output_already_applies;
struct fix_make_the_last_layer_Linear_or_use_the_loss_without_FromLogits;
template <class Activation>
struct from_logits_loss_needs_a_Linear_output_but_gets;
struct probability_loss_on_a_Linear_output_of_logits;
struct fix_end_with_Softmax_or_use_FromLogits_of_the_loss;
struct fix_end_with_Sigmoid_or_use_FromLogits_of_the_loss;
template <class Activation>
struct categorical_loss_needs_a_Softmax_output_but_gets;
struct fix_make_the_last_layer_Dense_K_Softmax;
template <class Activation>
struct binary_crossentropy_needs_a_Sigmoid_output_but_gets;
struct fix_make_the_last_layer_Dense_1_Sigmoid;
struct none;  // the output layer names no activation (a merge or shape-only layer)

// Data and model.
template <class D>
struct is_not_a_Dataset;
template <class ModelInput, class DataInput>
struct dataset_input_shape_differs_from_model_input;
struct fix_declare_Input_with_the_dataset_shape_or_reshape_the_data;
template <class ModelScalar, class DataScalar>
struct dataset_element_type_differs_from_model;
struct fix_use_the_same_T_in_Input_Shape_T_and_Dataset_S_L_T;
template <class Labels>
struct regression_loss_with_class_labels;
struct fix_use_SparseCategoricalCrossentropy_for_class_labels;
template <class Labels>
struct classification_loss_with_real_valued_labels;
struct fix_use_MeanSquaredError_or_give_ClassIndex_K_labels;
template <class Labels>
struct one_hot_labels_given_to_the_sparse_loss;
struct fix_use_CategoricalCrossentropy_or_ClassIndex_K_labels;
template <class Labels>
struct class_indices_given_to_the_one_hot_loss;
struct fix_use_SparseCategoricalCrossentropy_or_OneHot_K_labels;
template <class Labels>
struct binary_labels_given_to_a_categorical_loss;
struct fix_use_BinaryCrossentropy_after_Dense_1_Sigmoid;
template <class Labels>
struct class_labels_given_to_BinaryCrossentropy;
struct fix_use_Binary_labels_or_SparseCategoricalCrossentropy;
template <class Labels, class OutputShape>
struct labels_do_not_match_the_model_output;
struct fix_make_the_last_layer_output_one_value_per_class;

namespace detail {

template <class L>
concept is_loss = requires {
  { L::name } -> std::convertible_to<const char*>;
  { L::family } -> std::convertible_to<loss::Family>;
};

// A class template, not std::conditional_t: nvcc prints an alias unexpanded in the message.
template <class A>
struct named_activation_of {
  using type = A;
};
template <>
struct named_activation_of<void> {
  using type = none;
};
template <class A>
using named_activation = typename named_activation_of<A>::type;

// A probability loss needs the activation that makes its probabilities (Wanted); its
// from-logits form needs a Linear output.
template <class Loss, class Where, class Act, class Wanted, class FixLogitsOutput,
          template <class> class WrongActivation, class FixWrongActivation>
consteval auto output_activation_verdict() {
  if constexpr (loss::is_from_logits<Loss>) {
    if constexpr (std::is_same_v<Act, Sigmoid> || std::is_same_v<Act, Softmax>)
      return fail<with_loss<Loss>, Where, from_logits_loss_but_the_output_already_applies<Act>,
                  fix_make_the_last_layer_Linear_or_use_the_loss_without_FromLogits>;
    else if constexpr (!std::is_same_v<Act, Linear>)
      return fail<with_loss<Loss>, Where, from_logits_loss_needs_a_Linear_output_but_gets<Act>,
                  fix_make_the_last_layer_Linear_or_use_the_loss_without_FromLogits>;
    else
      return pass;
  } else if constexpr (std::is_same_v<Act, Linear> || std::is_same_v<Act, none>) {
    return fail<with_loss<Loss>, Where, probability_loss_on_a_Linear_output_of_logits,
                FixLogitsOutput>;
  } else if constexpr (!std::is_same_v<Act, Wanted>) {
    return fail<with_loss<Loss>, Where, WrongActivation<Act>, FixWrongActivation>;
  } else {
    return pass;
  }
}

// Cross-entropies against the output layer's activation: the linter rules of NeuraLint and
// the like, made compile errors.
template <class Net, class Loss>
consteval auto loss_verdict() {
  using where = at_layer<Net::layer_count, typename Net::last_layer>;
  using Out = typename Net::output_shape;
  using Act = named_activation<typename Net::output_activation>;
  using loss::Family;
  if constexpr (!is_loss<Loss>) {
    return fail<is_not_a_loss<Loss>, fix_use_a_loss_from_tensorguard_loss>;
  } else if constexpr (!Net::valid || Loss::family == Family::regression) {
    return pass;  // an invalid model is reported by Sequential
  } else if constexpr (Loss::family == Family::binary) {
    return output_activation_verdict<Loss, where, Act, Sigmoid,
                                     fix_end_with_Sigmoid_or_use_FromLogits_of_the_loss,
                                     binary_crossentropy_needs_a_Sigmoid_output_but_gets,
                                     fix_make_the_last_layer_Dense_1_Sigmoid>();
  } else {  // categorical and sparse categorical
    if constexpr (Out::rank != 1)
      return fail<with_loss<Loss>, where, categorical_loss_needs_a_rank_1_output_but_gets<Out>,
                  fix_end_with_Flatten_or_GlobalAveragePool2D_then_Dense>;
    else if constexpr (Out::size < 2)
      return fail<with_loss<Loss>, where, categorical_loss_needs_at_least_2_outputs_but_gets<Out>,
                  fix_for_two_classes_use_BinaryCrossentropy_after_Dense_1_Sigmoid>;
    else
      return output_activation_verdict<Loss, where, Act, Softmax,
                                       fix_end_with_Softmax_or_use_FromLogits_of_the_loss,
                                       categorical_loss_needs_a_Softmax_output_but_gets,
                                       fix_make_the_last_layer_Dense_K_Softmax>();
  }
}

template <class Loss, class L>
consteval auto labels_verdict() {
  using loss::Family;
  constexpr auto kind = L::kind;
  if constexpr (Loss::family == Family::regression) {
    if constexpr (kind != LabelKind::real)
      return fail<with_loss<Loss>, regression_loss_with_class_labels<L>,
                  fix_use_SparseCategoricalCrossentropy_for_class_labels>;
    else
      return pass;
  } else if constexpr (kind == LabelKind::real) {
    return fail<with_loss<Loss>, classification_loss_with_real_valued_labels<L>,
                fix_use_MeanSquaredError_or_give_ClassIndex_K_labels>;
  } else if constexpr (Loss::family == Family::binary) {
    if constexpr (kind != LabelKind::binary)
      return fail<with_loss<Loss>, class_labels_given_to_BinaryCrossentropy<L>,
                  fix_use_Binary_labels_or_SparseCategoricalCrossentropy>;
    else
      return pass;
  } else if constexpr (kind == LabelKind::binary) {
    return fail<with_loss<Loss>, binary_labels_given_to_a_categorical_loss<L>,
                fix_use_BinaryCrossentropy_after_Dense_1_Sigmoid>;
  } else if constexpr (Loss::family == Family::sparse_categorical && kind == LabelKind::one_hot) {
    return fail<with_loss<Loss>, one_hot_labels_given_to_the_sparse_loss<L>,
                fix_use_CategoricalCrossentropy_or_ClassIndex_K_labels>;
  } else if constexpr (Loss::family == Family::categorical && kind == LabelKind::class_index) {
    return fail<with_loss<Loss>, class_indices_given_to_the_one_hot_loss<L>,
                fix_use_SparseCategoricalCrossentropy_or_OneHot_K_labels>;
  } else {
    return pass;
  }
}

template <class L, class Out>
constexpr bool label_width_matches() {
  if constexpr (L::kind == LabelKind::class_index)
    return L::classes == Out::size;
  else if constexpr (L::kind == LabelKind::binary)
    return Out::size == 1;
  else
    return L::width == Out::size;
}

template <class D>
concept DatasetType = requires {
  typename D::input_shape;
  typename D::labels_type;
  typename D::scalar;
};

// Inputs only (predict); with labels, also against the loss (fit, evaluate).
template <class Net, class Loss, class D, bool WithLabels>
consteval auto data_verdict() {
  if constexpr (!DatasetType<D>) {
    return fail<is_not_a_Dataset<D>>;
  } else if constexpr (!std::is_same_v<typename Net::input_shape, typename D::input_shape>) {
    return fail<dataset_input_shape_differs_from_model_input<typename Net::input_shape,
                                                             typename D::input_shape>,
                fix_declare_Input_with_the_dataset_shape_or_reshape_the_data>;
  } else if constexpr (!std::is_same_v<typename Net::scalar, typename D::scalar>) {
    return fail<dataset_element_type_differs_from_model<typename Net::scalar, typename D::scalar>,
                fix_use_the_same_T_in_Input_Shape_T_and_Dataset_S_L_T>;
  } else if constexpr (!WithLabels || !Net::valid || !is_loss<Loss>) {
    return pass;
  } else if constexpr (!is_passed<verdict_of<labels_verdict<Loss, typename D::labels_type>()>>) {
    // The verdict is computed again rather than kept in an if-init: nvcc miscompiles those.
    return labels_verdict<Loss, typename D::labels_type>();
  } else if constexpr (!label_width_matches<typename D::labels_type,
                                            typename Net::output_shape>()) {
    return fail<
        labels_do_not_match_the_model_output<typename D::labels_type, typename Net::output_shape>,
        fix_make_the_last_layer_output_one_value_per_class>;
  } else {
    return pass;
  }
}

template <class Net, class Loss, class D, bool WithLabels = true>
using data_verdict_t = verdict_of<data_verdict<Net, Loss, D, WithLabels>()>;

}  // namespace detail
}  // namespace tensorguard
