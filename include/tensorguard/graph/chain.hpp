// Chain: layers applied one after another, each bound to the shape its predecessor produces.
// The body of a Sequential model and of every Branch; itself a layer, so graphs nest.
#pragma once
#include <algorithm>
#include <cstddef>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "../activations/softmax.hpp"
#include "../core/buffer.hpp"
#include "../detail/diagnostics.hpp"
#include "../detail/layer.hpp"
#include "../layers/conv2d.hpp"
#include "../layers/dense.hpp"
#include "../layers/input.hpp"
#include "../layers/reshape.hpp"

namespace tensorguard {
struct Input_appears_again_only_layer_1_is_Input;
struct fix_remove_it_later_shapes_are_computed;
struct is_an_activation_not_a_layer;
template <class Layer>
struct fix_write_it_as;
struct is_not_a_layer;
template <class Previous>
struct Softmax_applied_twice_after;
struct fix_remove_this_Activation;
template <class A>
struct Activation;
template <class Layer>
struct fix_insert_before_it;
template <class Where>
struct fix_remove_this_Flatten;
template <class Where>
struct fix_move_this_Flatten_after_the_image_layers;
template <class Conv>
struct fix_for_a_Dense_on_each_pixel_use;
template <class Layer>
struct fix_make_the_layer_before_it;
struct must_be_the_models_first_layer_it_works_on_the_raw_input;
struct fix_move_it_right_after_Input;
struct GlobalAveragePool2D;
}  // namespace tensorguard

namespace tensorguard::detail {

// A layer spec is a type with a member template Layer<In, T, Position> (naming it instantiates
// nothing).
template <class Spec>
concept LayerSpec = requires {
  typename Spec::template Layer<Shape<1>, HostTensors<float>, 1>;
};

template <class Spec>
struct output_activation_of {
  using type = void;  // merges and shape-only layers name no activation
};
template <class Spec>
requires requires { typename Spec::activation; }
struct output_activation_of<Spec> {
  using type = typename Spec::activation;
};

// A rank error's fix depends on the layer before: a Flatten too early is moved (or removed before
// a global pooling), a flat vector or a 2-D image is reshaped.
template <class Spec, class Previous, class In, std::size_t Position>
struct rank_3_fix {
  using type = fix_add_a_channel_axis_e_g_Shape_H_W_1;
};
template <class Spec, class Previous, class In, std::size_t Position>
requires(In::rank == 1 &&
         !std::is_same_v<Previous, Flatten>) struct rank_3_fix<Spec, Previous, In, Position> {
  using type = fix_insert_before_it<Reshape<image_shape_of<In::size>>>;
};
// A grey image without its channel axis: a Reshape keeps the data's shape as it is.
template <class Spec, class Previous, std::size_t H, std::size_t W, std::size_t Position>
struct rank_3_fix<Spec, Previous, Shape<H, W>, Position> {
  using type = fix_insert_before_it<Reshape<Shape<H, W, 1>>>;
};
template <class Spec, class In, std::size_t Position>
struct rank_3_fix<Spec, Flatten, In, Position> {
  using type = std::conditional_t<
      std::is_same_v<Spec, GlobalAveragePool2D>,
      fix_remove_this_Flatten<at_layer<Position - 1, Flatten>>,
      fix_move_this_Flatten_after_the_image_layers<at_layer<Position - 1, Flatten>>>;
};
// Where a layer list is: the model's own, or a path of a merge.
struct layers_of_the_model {};
struct layers_of_a_path {};

template <class Verdict, class Context, class Spec, class Previous, std::size_t Position>
struct with_context_fix {
  using type = Verdict;
};
template <class Where, class In, class Context, class Spec, class Previous, std::size_t Position>
struct with_context_fix<model_error<Where, needs_rank_3_input_height_width_channels_but_gets<In>,
                                    fix_add_a_channel_axis_e_g_Shape_H_W_1>,
                        Context, Spec, Previous, Position> {
  using type = model_error<Where, needs_rank_3_input_height_width_channels_but_gets<In>,
                           typename rank_3_fix<Spec, Previous, In, Position>::type>;
};

// A Reshape whose count a Dense before it sets (a decoder): that Dense makes the count.
template <class Where, class In, class To, class Suggested, class Context, class Spec,
          std::size_t Units, class... Options, std::size_t Position>
struct with_context_fix<model_error<Where, reshape_must_keep_the_element_count<In, To>,
                                    fix_keep_the_element_count_e_g<Suggested>>,
                        Context, Spec, Dense<Units, Options...>, Position> {
  using type = model_error<Where, reshape_must_keep_the_element_count<In, To>,
                           fix_make_the_layer_before_it<Dense<To::size, Options...>>>;
};

// A Dense in a merge's path over an image: the merge joins images (a Residual adds the input),
// so a Flatten there would only move the error to the merge; a 1x1 convolution is the same Dense
// applied to each pixel.
template <class Where, std::size_t H, std::size_t W, std::size_t C, std::size_t Units,
          class... Options, class Previous, std::size_t Position>
struct with_context_fix<
    model_error<Where, needs_rank_1_input_but_gets<Shape<H, W, C>>, fix_insert_Flatten_before_it>,
    layers_of_a_path, Dense<Units, Options...>, Previous, Position> {
  using type =
      model_error<Where, needs_rank_1_input_but_gets<Shape<H, W, C>>,
                  fix_for_a_Dense_on_each_pixel_use<Conv2D<Units, Kernel<1, 1>, Options...>>>;
};

// The verdict for one element of a layer list, given the element before it.
template <class Context, class Spec, class In, std::size_t Position, class Previous>
consteval auto layer_verdict() {
  using where = at_layer<Position, Spec>;
  if constexpr (is_input<Spec>)
    return fail<where, Input_appears_again_only_layer_1_is_Input,
                fix_remove_it_later_shapes_are_computed>;
  else if constexpr (ActivationFunction<Spec>)
    return fail<where, is_an_activation_not_a_layer, fix_write_it_as<Activation<Spec>>>;
  else if constexpr (!LayerSpec<Spec>)
    return fail<where, is_not_a_layer>;
  else if constexpr (std::is_same_v<Spec, Activation<Softmax>> &&
                     std::is_same_v<typename output_activation_of<Previous>::type, Softmax>)
    return fail<where, Softmax_applied_twice_after<at_layer<Position - 1, Previous>>,
                fix_remove_this_Activation>;
  else if constexpr (requires { requires Spec::first_layer_only; } &&
                     (!std::is_same_v<Context, layers_of_the_model> || Position != 2))
    return fail<where, must_be_the_models_first_layer_it_works_on_the_raw_input,
                fix_move_it_right_after_Input>;
  else
    return std::type_identity<
        typename with_context_fix<verdict_of<Spec::template diagnose<In, Position>()>, Context,
                                  Spec, Previous, Position>::type>{};
}

// Checks a layer list front to back, computing each input shape from the one before, and
// stops at the first failure. Never instantiates a layer, so it cannot cascade.
template <class Context, std::size_t Position, class In, class Previous, class... Specs>
struct scan_layers {
  using verdict = passed;
  using output = In;
};
template <class Verdict, class Context, std::size_t Position, class In, class Spec, class... Rest>
struct scan_rest {
  using verdict = Verdict;
  using output = In;
};
template <class Context, std::size_t Position, class In, class Spec, class... Rest>
struct scan_rest<passed, Context, Position, In, Spec, Rest...>
    : scan_layers<Context, Position + 1, typename Spec::template output<In>, Spec, Rest...> {};
template <class Context, std::size_t Position, class In, class Previous, class Spec, class... Rest>
struct scan_layers<Context, Position, In, Previous, Spec, Rest...>
    : scan_rest<verdict_of<layer_verdict<Context, Spec, In, Position, Previous>()>, Context,
                Position, In, Spec, Rest...> {};

template <class... Ts>
struct type_list {};

// Binds each layer spec to its input shape: one instantiation per layer, no nested recursion
// beyond the list's length.
template <class M, std::size_t Position, class In, class Done, class... Rest>
struct bind_layers;
template <class M, std::size_t Position, class In, class... Done>
struct bind_layers<M, Position, In, type_list<Done...>> {
  using layers = std::tuple<Done...>;
  using output_shape = In;
};
template <class M, std::size_t Position, class In, class... Done, class Spec, class... Rest>
struct bind_layers<M, Position, In, type_list<Done...>, Spec, Rest...>
    : bind_layers<M, Position + 1, typename Spec::template Layer<In, M, Position>::output_shape,
                  type_list<Done..., typename Spec::template Layer<In, M, Position>>, Rest...> {};

template <class L>
concept Container = requires {
  L::is_container;
};

// Appends the records of a layer (and, for containers, of everything inside it).
template <class L>
void describe_layer(std::vector<LayerRecord>& out, const std::string& path, int depth) {
  if constexpr (Container<L>)
    L::describe(out, path, depth);
  else
    out.push_back(leaf_record<L>(path, depth));
}

template <class In, class M, std::size_t FirstPosition, class... Specs>
class Chain {
  using T = typename M::scalar;
  using P = typename M::ptr;
  using CP = typename M::cptr;
  using bound = bind_layers<M, FirstPosition, In, type_list<>, Specs...>;
  using Layers = typename bound::layers;
  static constexpr std::size_t count = sizeof...(Specs);
  template <std::size_t I>
  using layer_t = std::tuple_element_t<I, Layers>;
  using indices = std::make_index_sequence<count>;
  // Shape-only layers (Flatten, Reshape) pass their input's memory on as their output.
  template <std::size_t I>
  static constexpr bool aliases = requires {
    layer_t<I>::aliases_input;
  };
  template <std::size_t I>
  static constexpr bool owns_output = I + 1 < count && !aliases<I>;

  template <std::size_t... I>
  static constexpr std::size_t largest_intermediate(std::index_sequence<I...>) {
    return std::max({std::size_t{0}, (I + 1 < count ? layer_t<I>::output_shape::size : 0)...});
  }
  template <std::size_t... I>
  static constexpr std::size_t intermediate_total(std::index_sequence<I...>) {
    return (std::size_t{0} + ... + (owns_output<I> ? layer_t<I>::output_shape::size : 0));
  }

 public:
  static constexpr bool is_container = true;
  using input_shape = In;
  using output_shape = typename bound::output_shape;
  static constexpr std::size_t layer_count = count;
  static constexpr std::size_t parameter_count = []<std::size_t... I>(std::index_sequence<I...>) {
    return (std::size_t{0} + ... + layer_t<I>::parameter_count);
  }
  (indices{});
  static constexpr std::size_t state_count = []<std::size_t... I>(std::index_sequence<I...>) {
    return (std::size_t{0} + ... + layer_t<I>::state_count);
  }
  (indices{});
  static constexpr double flops_per_sample = []<std::size_t... I>(std::index_sequence<I...>) {
    return (0.0 + ... + layer_t<I>::flops_per_sample);
  }
  (indices{});
  static constexpr bool couples_samples = []<std::size_t... I>(std::index_sequence<I...>) {
    return (false || ... || detail::couples_samples<layer_t<I>>);
  }
  (indices{});
  static constexpr bool combines_parts = []<std::size_t... I>(std::index_sequence<I...>) {
    return (true && ... && detail::splits_across_threads<layer_t<I>>);
  }
  (indices{});
  static constexpr std::size_t max_intermediate = largest_intermediate(indices{});
  // Intermediate outputs, the two gradient buffers and every layer's own cache.
  static constexpr std::size_t cache_per_sample = intermediate_total(indices{}) +
                                                  2 * max_intermediate +
                                                  []<std::size_t... I>(std::index_sequence<I...>) {
    return (std::size_t{0} + ... + layer_t<I>::cache_per_sample);
  }
  (indices{});

  // Parameters of the layers before layer I: their gradients need layer I's input gradient,
  // which backward computes only then (or when the chain's own input gradient is asked for).
  template <std::size_t I>
  static constexpr std::size_t parameters_before = []<std::size_t... J>(std::index_sequence<J...>) {
    return (std::size_t{0} + ... + layer_t<J>::parameter_count);
  }
  (std::make_index_sequence<I>{});

  template <std::size_t I>
  layer_t<I>& layer() {
    return std::get<I>(layers_);
  }

  void attach(ParameterSlots<M>& slots) {
    std::apply([&](auto&... l) { (l.attach(slots), ...); }, layers_);
  }
  void initialize(InitialValues<T>& initial, Rng& rng) {
    std::apply([&](auto&... l) { (l.initialize(initial, rng), ...); }, layers_);
  }
  template <class F>
  void visit_generators(F&& f) {
    std::apply([&](auto&... l) { (visit_generators_of(l, f), ...); }, layers_);
  }
  void reserve(std::size_t batch) {
    std::apply([&](auto&... l) { (l.reserve(batch), ...); }, layers_);
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      ((owns_output<I> ? outputs_[I].resize(batch * layer_t<I>::output_shape::size) : void()), ...);
    }
    (indices{});
    for (auto& g : grads_) g.resize(batch * max_intermediate);
  }

  template <class B>
  void forward(B& backend, CP x, P y, std::size_t n, Mode mode) {
    if constexpr (count == 0) {
      backend.copy(x, y, n * In::size);
    } else {
      [&]<std::size_t... I>(std::index_sequence<I...>) {
        // An aliasing layer's output is its input: its forward copy is a no-op.
        (std::get<I>(layers_).forward(backend, input_of<I>(x, y), unconst(output_of<I>(x, y)), n,
                                      mode),
         ...);
      }
      (indices{});
    }
  }
  template <class B>
  void backward(B& backend, CP x, CP y, CP dy, P dx, std::size_t n) {
    if constexpr (count == 0) {
      if (dx) backend.copy(dy, dx, n * In::size);
    } else {
      backward_below<count>(backend, x, y, dy, dx, n, /*from_logits=*/false);
    }
  }
  // For losses fused with the output activation: dz is the gradient of the last layer's
  // pre-activations.
  CP logits() const { return std::get<count - 1>(layers_).logits(); }
  template <class B>
  void backward_from_logits(B& backend, CP x, CP dz, P dx, std::size_t n) {
    backward_below<count>(backend, x, nullptr, dz, dx, n, /*from_logits=*/true);
  }

  // f(index, std::type_identity<activation>, outputs, values per sample, last-axis extent) for
  // each layer of this chain (the guards' activation statistics).
  template <class F>
  void visit_outputs(CP x, CP y, F&& f) const {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (f(I, std::type_identity<typename output_activation_of<typename layer_t<I>::spec>::type>{},
         output_of<I>(x, y), layer_t<I>::output_shape::size,
         layer_t<I>::output_shape::dims[layer_t<I>::output_shape::rank - 1]),
       ...);
    }
    (indices{});
  }

  static void describe(std::vector<LayerRecord>& out, const std::string& prefix, int depth) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (describe_layer<layer_t<I>>(out, prefix + std::to_string(FirstPosition + I), depth), ...);
    }
    (indices{});
  }

 private:
  template <std::size_t I>
  CP input_of(CP x, CP y) const {
    if constexpr (I == 0)
      return x;
    else
      return output_of<I - 1>(x, y);
  }
  template <std::size_t I>
  CP output_of(CP x, CP y) const {
    if constexpr (I + 1 == count)
      return y;
    else if constexpr (aliases<I>)
      return input_of<I>(x, y);
    else
      return outputs_[I].data();
  }

  // Runs backward for layers I-1 down to 0. Layer i reads its output gradient from
  // grads_[(i + 1) % 2] (or dy for the last) and writes its input gradient to grads_[i % 2]
  // (or dx for the first). An input gradient nothing below uses (no parameters before the
  // layer, no dx asked for) is not computed: the first Dense after the input skips its
  // largest GEMM, and parameter-free layers at the front skip backward altogether.
  template <std::size_t I, class B>
  void backward_below(B& backend, CP x, CP y, CP dy, P dx, std::size_t n, bool from_logits) {
    if constexpr (I > 0) {
      constexpr std::size_t i = I - 1;
      const bool input_gradient = dx || parameters_before<i> > 0;
      if (!input_gradient && layer_t<i>::parameter_count == 0) return;
      CP grad_out = i + 1 == count ? dy : grads_[(i + 1) % 2].data();
      P grad_in = i == 0 ? dx : input_gradient ? grads_[i % 2].data() : nullptr;
      auto& l = std::get<i>(layers_);
      if constexpr (i + 1 == count && requires { l.logits(); }) {
        if (from_logits) {
          l.backward_from_logits(backend, input_of<i>(x, y), grad_out, grad_in, n);
          if (input_gradient) backward_below<i>(backend, x, y, dy, dx, n, false);
          return;
        }
      }
      l.backward(backend, input_of<i>(x, y), output_of<i>(x, y), grad_out, grad_in, n);
      if (input_gradient) backward_below<i>(backend, x, y, dy, dx, n, false);
    }
  }

  Layers layers_;
  typename M::buffer outputs_[count > 1 ? count - 1 : 1];
  typename M::buffer grads_[2];
};

// Stands in for the body of a model whose checks failed, so that the one error reported is not
// followed by errors from building the invalid layers.
template <class In, class M>
struct InvalidChain {
  using T = typename M::scalar;
  using P = typename M::ptr;
  using CP = typename M::cptr;
  static constexpr bool is_container = true;
  using input_shape = In;
  using output_shape = Shape<1>;
  static constexpr std::size_t layer_count = 0, parameter_count = 0, state_count = 0;
  static constexpr std::size_t cache_per_sample = 0, max_intermediate = 0;
  static constexpr double flops_per_sample = 0;
  static constexpr bool couples_samples = false;
  void attach(ParameterSlots<M>&) {}
  void initialize(InitialValues<T>&, Rng&) {}
  template <class F>
  void visit_generators(F&&) {}
  void reserve(std::size_t) {}
  template <class B>
  void forward(B&, CP, P, std::size_t, Mode) {}
  template <class B>
  void backward(B&, CP, CP, CP, P, std::size_t) {}
  CP logits() const { return nullptr; }
  template <class B>
  void backward_from_logits(B&, CP, CP, P, std::size_t) {}
  static void describe(std::vector<LayerRecord>&, const std::string&, int) {}
  template <class F>
  void visit_outputs(CP, CP, F&&) const {}
};

}  // namespace tensorguard::detail
