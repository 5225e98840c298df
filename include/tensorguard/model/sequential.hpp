#pragma once
#include <type_traits>

#include "../detail/diagnostics.hpp"
#include "../graph/chain.hpp"
#include "../layers/input.hpp"

namespace tensorguard {

struct first_layer_must_be_Input;
template <class Got>
struct model_starts_with;

namespace detail {
template <class Spec>
struct output_activation_of {
  using type = void;  // merges and shape-only layers name no activation
};
template <class Spec>
requires requires { typename Spec::activation; }
struct output_activation_of<Spec> {
  using type = typename Spec::activation;
};
template <class... L>
struct last_of {
  using type = typename decltype((std::type_identity<L>{}, ...))::type;
};
}  // namespace detail

// A model as a type: Sequential<Input<Shape<28, 28, 1>>, Conv2D<...>, ..., Dense<10, Softmax>>.
// Input is layer 1; every other layer's shape is computed from the one before it.
template <class First, class... Layers>
struct Sequential {
  static_assert(require_v<is_input<First>, first_layer_must_be_Input, model_starts_with<First>>);
  static_assert(sizeof...(Layers) > 0, "Sequential<Input<...>, Layers...>: add at least one layer");

  using input_shape = typename First::shape;
  using scalar = typename First::scalar;
  using body = detail::Chain<input_shape, scalar, 2, Layers...>;
  using output_shape = typename body::output_shape;
  // The activation of the last layer (void if the last layer is a merge or shape-only layer).
  using output_activation =
      typename detail::output_activation_of<typename detail::last_of<Layers...>::type>::type;

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
