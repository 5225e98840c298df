// The checks that join a model to its loss (where the Model is declared) and to its data (where
// fit, evaluate or predict is called). Each returns a verdict (detail/diagnostics.hpp).
#pragma once
#include <iterator>
#include <type_traits>
#include <vector>

#include "../activations/linear.hpp"
#include "../activations/sigmoid.hpp"
#include "../activations/softmax.hpp"
#include "../data/labels.hpp"
#include "../detail/diagnostics.hpp"
#include "../layers/activation.hpp"
#include "../layers/dense.hpp"
#include "../layers/input.hpp"
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
template <class LastLayer>
struct probability_loss_on_an_output_without_activation;
template <class Activation>
struct fix_give_the_last_layer_the_activation;
struct fix_end_with_Softmax_or_use_FromLogits_of_the_loss;
struct fix_end_with_Sigmoid_or_use_FromLogits_of_the_loss;
template <class Activation>
struct categorical_loss_needs_a_Softmax_output_but_gets;
template <class Activation>
struct binary_crossentropy_needs_a_Sigmoid_output_but_gets;
struct none;  // the output layer names no activation (a merge or shape-only layer)

// Data and model.
template <class D>
struct is_not_a_Dataset;
template <class ModelInput, class DataInput>
struct dataset_input_shape_differs_from_model_input;
template <class DataInput, class ReshapeToModelShape>
struct fix_declare_then_reshape;
template <class DataInput>
struct fix_declare_Input_with_the_dataset_shape;
template <class ModelScalar, class DataScalar>
struct dataset_element_type_differs_from_model;
struct fix_use_the_same_T_in_Input_Shape_T_and_Dataset_S_L_T;
template <class Labels>
struct regression_loss_with_class_labels;
template <class Labels>
struct classification_loss_with_real_valued_labels;
template <class Labels>
struct one_hot_labels_given_to_the_sparse_loss;
template <class Labels>
struct class_indices_given_to_the_one_hot_loss;
template <class Labels>
struct binary_labels_given_to_a_categorical_loss;
template <class Labels>
struct multi_hot_labels_given_to_a_categorical_loss;
template <class Labels>
struct class_labels_given_to_BinaryCrossentropy;
template <class Loss>
struct fix_use_the_loss;
template <class Loss, class OutputLayer>
struct fix_use_the_loss_after;
template <class Labels>
struct fix_use_MeanSquaredError_or_declare_targets_in_0_1_as;
template <class To>
struct Reshape;
namespace loss {
struct BinaryCrossentropy;
struct CategoricalCrossentropy;
struct SparseCategoricalCrossentropy;
}  // namespace loss
template <class Given, class ModelScalar>
struct predict_inputs_have_element_type_but_the_model_takes;
template <class ModelScalar>
struct fix_pass_values_of_the_model_type_e_g;
template <class Given>
struct predict_takes_a_Dataset_or_a_contiguous_range_of_values_but_gets;
template <class Labels, class OutputShape>
struct labels_do_not_match_the_model_output;
template <class Layer>
struct fix_make_the_last_layer;
template <class Layer>
struct fix_append;
template <class S>
struct fix_make_the_output_shape;

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

template <class Spec>
inline constexpr bool is_dense = false;
template <std::size_t Units, class... Options>
inline constexpr bool is_dense<Dense<Units, Options...>> = true;

// The output layer with activation A instead: the last Dense with A (its width kept), an
// Activation<A> after a layer that has none, or A on whatever layer ends the model.
template <class Net, class A>
consteval auto activation_fix() {
  using Act = named_activation<typename Net::output_activation>;
  constexpr std::size_t width = Net::output_shape::size;
  // Two Softmax outputs for binary cross-entropy: the two classes are one Sigmoid unit.
  constexpr bool two_class_softmax =
      width == 2 && std::is_same_v<A, Sigmoid> && std::is_same_v<Act, Softmax>;
  if constexpr (is_dense<typename Net::last_layer>)
    return std::type_identity<fix_make_the_last_layer<Dense<two_class_softmax ? 1 : width, A>>>{};
  else if constexpr (std::is_same_v<Act, none>)
    return std::type_identity<fix_append<Activation<A>>>{};
  else
    return std::type_identity<fix_give_the_last_layer_the_activation<A>>{};
}
template <class Net, class A>
using activation_fix_t = typename decltype(activation_fix<Net, A>())::type;

// A probability loss needs the activation that makes its probabilities (Wanted); its
// from-logits form needs a Linear output.
template <class Net, class Loss, class Where, class Act, class Wanted, class FixLogitsOutput,
          template <class> class WrongActivation>
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
  } else if constexpr (std::is_same_v<Act, none>) {
    return fail<with_loss<Loss>, Where,
                probability_loss_on_an_output_without_activation<typename Net::last_layer>,
                fix_append<Activation<Wanted>>>;
  } else if constexpr (std::is_same_v<Act, Linear>) {
    return fail<with_loss<Loss>, Where, probability_loss_on_a_Linear_output_of_logits,
                FixLogitsOutput>;
  } else if constexpr (!std::is_same_v<Act, Wanted>) {
    return fail<with_loss<Loss>, Where, WrongActivation<Act>, activation_fix_t<Net, Wanted>>;
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
    return output_activation_verdict<Net, Loss, where, Act, Sigmoid,
                                     fix_end_with_Sigmoid_or_use_FromLogits_of_the_loss,
                                     binary_crossentropy_needs_a_Sigmoid_output_but_gets>();
  } else {  // categorical and sparse categorical
    if constexpr (Out::rank != 1)
      return fail<with_loss<Loss>, where, categorical_loss_needs_a_rank_1_output_but_gets<Out>,
                  fix_end_with_Flatten_or_GlobalAveragePool2D_then_Dense>;
    else if constexpr (Out::size < 2)
      return fail<with_loss<Loss>, where, categorical_loss_needs_at_least_2_outputs_but_gets<Out>,
                  fix_for_two_classes_use_BinaryCrossentropy_after_Dense_1_Sigmoid>;
    else
      return output_activation_verdict<Net, Loss, where, Act, Softmax,
                                       fix_end_with_Softmax_or_use_FromLogits_of_the_loss,
                                       categorical_loss_needs_a_Softmax_output_but_gets>();
  }
}

// A fix that compiles: the loss the labels call for, in the form the output allows (after a
// Linear output of the right width, from logits), or with the output layer it needs.
template <class Net, class NewLoss, std::size_t Units, class Activation>
consteval auto loss_fix() {
  using Out = typename Net::output_shape;
  using Act = named_activation<typename Net::output_activation>;
  if constexpr (Out::rank == 1 && Out::size == Units && std::is_same_v<Act, Activation>)
    return std::type_identity<fix_use_the_loss<NewLoss>>{};
  else if constexpr (Out::rank == 1 && Out::size == Units && std::is_same_v<Act, Linear>)
    return std::type_identity<fix_use_the_loss<loss::FromLogits<NewLoss>>>{};
  else
    return std::type_identity<fix_use_the_loss_after<NewLoss, Dense<Units, Activation>>>{};
}
// The classification loss of a label kind, as a fix.
template <class Net, class L>
consteval auto class_loss_fix() {
  if constexpr (L::kind == LabelKind::class_index)
    return loss_fix<Net, loss::SparseCategoricalCrossentropy, L::classes, Softmax>();
  else if constexpr (L::kind == LabelKind::one_hot)
    return loss_fix<Net, loss::CategoricalCrossentropy, L::classes, Softmax>();
  else  // binary, multi-hot
    return loss_fix<Net, loss::BinaryCrossentropy, L::width, Sigmoid>();
}
template <class Net, class L>
using class_loss_fix_t = typename decltype(class_loss_fix<Net, L>())::type;

template <class Net, class Loss, class L>
consteval auto labels_verdict() {
  using loss::Family;
  constexpr auto kind = L::kind;
  constexpr bool real = kind == LabelKind::real, probability = kind == LabelKind::probability;
  using real_fix =
      fix_use_MeanSquaredError_or_declare_targets_in_0_1_as<Probability<Shape<L::width>>>;
  if constexpr (Loss::family == Family::regression) {
    if constexpr (!real && !probability)
      return fail<with_loss<Loss>, regression_loss_with_class_labels<L>, class_loss_fix_t<Net, L>>;
    else
      return pass;
  } else if constexpr (real) {
    return fail<with_loss<Loss>, classification_loss_with_real_valued_labels<L>, real_fix>;
  } else if constexpr (Loss::family == Family::binary) {
    if constexpr (kind == LabelKind::class_index || kind == LabelKind::one_hot)
      return fail<with_loss<Loss>, class_labels_given_to_BinaryCrossentropy<L>,
                  class_loss_fix_t<Net, L>>;
    else
      return pass;  // binary, multi-hot, probability
  } else if constexpr (kind == LabelKind::binary) {
    return fail<with_loss<Loss>, binary_labels_given_to_a_categorical_loss<L>,
                class_loss_fix_t<Net, L>>;
  } else if constexpr (kind == LabelKind::multi_hot) {
    return fail<with_loss<Loss>, multi_hot_labels_given_to_a_categorical_loss<L>,
                class_loss_fix_t<Net, L>>;
  } else if constexpr (Loss::family == Family::sparse_categorical && kind == LabelKind::one_hot) {
    return fail<with_loss<Loss>, one_hot_labels_given_to_the_sparse_loss<L>,
                class_loss_fix_t<Net, L>>;
  } else if constexpr (Loss::family == Family::sparse_categorical && probability) {
    return fail<with_loss<Loss>, classification_loss_with_real_valued_labels<L>,
                fix_use_the_loss<loss::CategoricalCrossentropy>>;
  } else if constexpr (Loss::family == Family::categorical && kind == LabelKind::class_index) {
    return fail<with_loss<Loss>, class_indices_given_to_the_one_hot_loss<L>,
                class_loss_fix_t<Net, L>>;
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

// The output layer the labels need: the last Dense with the labels' width, or one appended.
template <class Net, class L>
consteval auto width_fix() {
  constexpr std::size_t units = L::kind == LabelKind::class_index ? L::classes : L::width;
  using Act = named_activation<typename Net::output_activation>;
  // One unit cannot be a Softmax: binary labels and single targets take a Sigmoid.
  using Kept = std::conditional_t<units == 1 && std::is_same_v<Act, Softmax>, Sigmoid, Act>;
  using layer = std::conditional_t<std::is_same_v<Kept, Linear> || std::is_same_v<Kept, none>,
                                   Dense<units>, Dense<units, Kept>>;
  if constexpr (Net::output_shape::rank != 1 && requires { typename L::shape; })
    return std::type_identity<fix_make_the_output_shape<typename L::shape>>{};
  else if constexpr (is_dense<typename Net::last_layer>)
    return std::type_identity<fix_make_the_last_layer<layer>>{};
  else
    return std::type_identity<fix_append<layer>>{};
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
    using data_input = Input<typename D::input_shape, typename Net::scalar>;
    // Same element count: Input with the data's shape, reshaped to what the layers expect.
    using fix =
        std::conditional_t<Net::input_shape::size == D::input_shape::size,
                           fix_declare_then_reshape<data_input, Reshape<typename Net::input_shape>>,
                           fix_declare_Input_with_the_dataset_shape<data_input>>;
    return fail<dataset_input_shape_differs_from_model_input<typename Net::input_shape,
                                                             typename D::input_shape>,
                fix>;
  } else if constexpr (!std::is_same_v<typename Net::scalar, typename D::scalar>) {
    return fail<dataset_element_type_differs_from_model<typename Net::scalar, typename D::scalar>,
                fix_use_the_same_T_in_Input_Shape_T_and_Dataset_S_L_T>;
  } else if constexpr (!WithLabels || !Net::valid || !is_loss<Loss> ||
                       !is_passed<verdict_of<loss_verdict<Net, Loss>()>>) {
    // The model's and the loss's own errors are reported where the Model is declared.
    return pass;
  } else if constexpr (!is_passed<
                           verdict_of<labels_verdict<Net, Loss, typename D::labels_type>()>>) {
    // The verdict is computed again rather than kept in an if-init: nvcc miscompiles those.
    return labels_verdict<Net, Loss, typename D::labels_type>();
  } else if constexpr (!label_width_matches<typename D::labels_type,
                                            typename Net::output_shape>()) {
    return fail<
        at_layer<Net::layer_count, typename Net::last_layer>,
        labels_do_not_match_the_model_output<typename D::labels_type, typename Net::output_shape>,
        typename decltype(width_fix<Net, typename D::labels_type>())::type>;
  } else {
    return pass;
  }
}

// predict's argument when it is neither a Dataset nor a span of the model's values.
template <class T, class R>
consteval auto predict_input_verdict() {
  if constexpr (requires(const R& r) { std::data(r), std::size(r); }) {
    using given = std::remove_cvref_t<decltype(*std::data(std::declval<const R&>()))>;
    return fail<predict_inputs_have_element_type_but_the_model_takes<given, T>,
                fix_pass_values_of_the_model_type_e_g<std::vector<T>>>;
  } else {
    return fail<predict_takes_a_Dataset_or_a_contiguous_range_of_values_but_gets<R>,
                fix_pass_values_of_the_model_type_e_g<std::vector<T>>>;
  }
}

template <class Net, class Loss, class D, bool WithLabels = true>
using data_verdict_t = verdict_of<data_verdict<Net, Loss, D, WithLabels>()>;

}  // namespace detail
}  // namespace tensorguard
