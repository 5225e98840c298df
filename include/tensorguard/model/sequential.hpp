#pragma once
#include <type_traits>

#include "../detail/diagnostics.hpp"
#include "../graph/chain.hpp"
#include "../layers/input.hpp"

namespace tensorguard {

struct first_layer_must_be_Input;
struct fix_start_with_Input_Shape_e_g_Input_Shape_28_28_1;
struct model_has_no_layer_after_Input;

namespace detail {
template <class... L>
struct last_of {
  using type = void;
};
template <class First, class... L>
struct last_of<First, L...> {
  using type = typename decltype((std::type_identity<First>{}, ..., std::type_identity<L>{}))::type;
};
template <class First>
struct input_facts {
  using shape = Shape<1>;
  using scalar = float;
};
template <class S, class T>
struct input_facts<Input<S, T>> {
  using shape = S;
  using scalar = T;
};
}  // namespace detail

// A model as a type: Sequential<Input<Shape<28, 28, 1>>, Conv2D<...>, ..., Dense<10, Softmax>>.
// Input is layer 1; every other layer's shape is computed from the one before it. The whole
// model is checked where it is first used; the first mistake is one compile error.
template <class First, class... Layers>
struct Sequential {
 private:
  static consteval auto diagnose() {
    if constexpr (!is_input<First>)
      return detail::fail<at_layer<1, First>, first_layer_must_be_Input,
                          fix_start_with_Input_Shape_e_g_Input_Shape_28_28_1>;
    else if constexpr (sizeof...(Layers) == 0)
      return detail::fail<at_layer<1, First>, model_has_no_layer_after_Input>;
    else
      return std::type_identity<
          typename detail::scan_layers<2, typename First::shape, First, Layers...>::verdict>{};
  }

 public:
  // passed, or the first mistake as model_error<at_layer<N, Layer>, rule..., fix...>.
  using verdict = detail::verdict_of<diagnose()>;
  static constexpr bool valid = detail::is_passed<verdict>;
  static_assert(sizeof(verdict));  // a model_error here names the mistake (docs/errors.md)

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
