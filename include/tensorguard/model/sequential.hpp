#pragma once
#include <type_traits>

#include "../detail/diagnostics.hpp"
#include "../graph/chain.hpp"
#include "../layers/input.hpp"

namespace tensorguard {

struct first_layer_must_be_Input;
struct fix_start_with_Input_Shape_e_g_Input_Shape_28_28_1;
struct model_has_no_layer_after_Input;
template <class S>
struct input_dimensions_must_be_positive_but_gets;
struct fix_give_each_axis_its_size_e_g_Shape_28_28_1;
template <class T>
struct input_element_type_must_be_float_or_double_but_is;
struct fix_declare_Input_Shape_float_and_convert_the_data_to_float;

namespace detail {
template <class... L>
struct last_of {
  using type = void;
};
template <class First, class... L>
struct last_of<First, L...> {
  using type = typename decltype((std::type_identity<First>{}, ..., std::type_identity<L>{}))::type;
};
template <class... L>
struct first_of {
  using type = void;
};
template <class First, class... L>
struct first_of<First, L...> {
  using type = First;
};
template <class First>
struct input_facts {
  using shape = Shape<1>;
  using scalar = float;
};
template <class S, class T>
struct input_facts<Input<S, T>> {
  using shape = S;
  using scalar = std::conditional_t<is_element_type<T>, T, float>;  // float: the error is reported
};
template <class S>
constexpr bool has_zero_dimension() {
  for (std::size_t d : S::dims)
    if (d == 0) return true;
  return false;
}
template <class First, class... Layers>
consteval auto model_verdict() {
  if constexpr (!is_input<First>)
    return fail<at_layer<1, First>, first_layer_must_be_Input,
                fix_start_with_Input_Shape_e_g_Input_Shape_28_28_1>;
  else if constexpr (!is_element_type<typename First::scalar>)
    return fail<at_layer<1, First>,
                input_element_type_must_be_float_or_double_but_is<typename First::scalar>,
                fix_declare_Input_Shape_float_and_convert_the_data_to_float>;
  else if constexpr (has_zero_dimension<typename First::shape>())
    return fail<at_layer<1, First>,
                input_dimensions_must_be_positive_but_gets<typename First::shape>,
                fix_give_each_axis_its_size_e_g_Shape_28_28_1>;
  else if constexpr (sizeof...(Layers) == 0)
    return fail<at_layer<1, First>, model_has_no_layer_after_Input>;
  else
    return std::type_identity<typename scan_layers<layers_of_the_model, 2, typename First::shape,
                                                   First, Layers...>::verdict>{};
}

template <class First, class... Layers>
using model_verdict_t = verdict_of<model_verdict<First, Layers...>()>;
}  // namespace detail

// A model as a type: Sequential<Input<Shape<28, 28, 1>>, Conv2D<...>, ..., Dense<10, Softmax>>.
// Input is layer 1; every other layer's shape is computed from the one before it. The whole
// model is checked where it is first used; the first mistake is one compile error.
template <class First, class... Layers>
struct Sequential {
  // passed, or the first mistake as model_error<at_layer<N, Layer>, rule..., fix...>.
  using verdict = detail::model_verdict_t<First, Layers...>;
  static constexpr bool valid = detail::is_passed<verdict>;
  static_assert(sizeof(typename detail::report<verdict>::model_is_valid));  // docs/errors.md

  using input_shape = typename detail::input_facts<First>::shape;
  using scalar = typename detail::input_facts<First>::scalar;
  // The layers bound to a backend's memory (Tensors<Memory, scalar>); `body` is the host one,
  // which gives every static fact (shapes, counts, the summary).
  template <class Memory>
  using body_on =
      std::conditional_t<valid, detail::Chain<input_shape, Tensors<Memory, scalar>, 2, Layers...>,
                         detail::InvalidChain<input_shape, Tensors<Memory, scalar>>>;
  using body = body_on<HostMemory>;
  using output_shape = typename body::output_shape;
  using last_layer = typename detail::last_of<Layers...>::type;
  using first_layer = typename detail::first_of<Layers...>::type;
  // The activation of the last layer (void if the last layer is a merge or shape-only layer).
  using output_activation = typename detail::output_activation_of<last_layer>::type;

  static constexpr std::size_t layer_count = sizeof...(Layers) + 1;
  static constexpr std::size_t parameter_count = body::parameter_count;
  static constexpr std::size_t state_count = body::state_count;
  static constexpr double flops_per_sample = body::flops_per_sample;
  // Forward and backward memory per sample: the output, its gradient and every layer's cache.
  static constexpr std::size_t activation_bytes_per_sample =
      (body::cache_per_sample + 2 * output_shape::size + input_shape::size) * sizeof(scalar);
};

template <class N>
inline constexpr bool is_sequential = false;
template <class F, class... L>
inline constexpr bool is_sequential<Sequential<F, L...>> = true;

}  // namespace tensorguard
