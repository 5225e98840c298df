#pragma once
#include <string>

#include "../core/buffer.hpp"
#include "../detail/diagnostics.hpp"
#include "../detail/layer.hpp"
#include "../detail/options.hpp"

namespace tensorguard {

template <class Got>
struct needs_rank_1_input_but_gets;
struct fix_insert_Flatten_before_it;
struct units_must_be_positive;
struct fix_give_it_at_least_1_unit;
template <class Option>
struct unknown_option;
template <class First, class Second>
struct option_given_twice;
struct fix_keep_one_of_them;
struct fix_Dense_takes_units_and_an_activation;
struct Softmax_over_a_single_value_always_outputs_1;
struct fix_use_Sigmoid_for_a_single_output;

template <class A>
struct is_activation_option : std::bool_constant<ActivationFunction<A>> {};

namespace detail {
// Softmax normalises over the last axis: over one value it is the constant 1.
template <class Where, class Act, std::size_t LastExtent>
consteval auto activation_verdict() {
  if constexpr (std::is_same_v<Act, Softmax> && LastExtent == 1)
    return fail<Where, Softmax_over_a_single_value_always_outputs_1,
                fix_use_Sigmoid_for_a_single_output>;
  else
    return pass;
}
// The first option that no Is<> accepts, then the first kind given twice, as a failed verdict.
template <class Where, class Fix, template <class> class... Is>
struct option_check {
  template <class... Options>
  static consteval auto run() {
    using bad = find_option_t<is_unknown, void, Options...>;
    if constexpr (!std::is_void_v<bad>)
      return fail<Where, unknown_option<bad>, Fix>;
    else
      return std::type_identity<
          typename first_failure<verdict_of<given_once<Is, Options...>()>...>::type>{};
  }
  template <class O>
  struct is_unknown : std::bool_constant<!(Is<O>::value || ...)> {};
  // Two options of one kind (ReLU and Tanh, two Strides): the second would be ignored.
  template <template <class> class Kind, class... Options>
  static consteval auto given_once() {
    if constexpr (count_options<Kind, Options...> < 2)
      return pass;
    else
      return fail<Where,
                  option_given_twice<find_option_t<Kind, void, Options...>,
                                     second_option_t<Kind, Options...>>,
                  fix_keep_one_of_them>;
  }
};
}  // namespace detail

// Fully connected layer: y = act(W x + b), W of Units x inputs.
template <std::size_t Units, class... Options_are_types_e_g_ReLU>  // Dense<10, ReLU>
struct Dense {
  using activation =
      detail::find_option_t<is_activation_option, Linear, Options_are_types_e_g_ReLU...>;

  template <class In, std::size_t Position>
  static consteval auto diagnose() {
    using where = at_layer<Position, Dense>;
    constexpr auto options =
        detail::option_check<where, fix_Dense_takes_units_and_an_activation,
                             is_activation_option>::template run<Options_are_types_e_g_ReLU...>();
    if constexpr (!detail::is_passed<typename decltype(options)::type>)
      return options;
    else if constexpr (Units == 0)
      return detail::fail<where, units_must_be_positive, fix_give_it_at_least_1_unit>;
    else if constexpr (In::rank != 1)
      return detail::fail<where, needs_rank_1_input_but_gets<In>, fix_insert_Flatten_before_it>;
    else
      return detail::activation_verdict<where, activation, Units>();
  }
  template <class In>
  using output = Shape<Units>;

  template <class In, class M, std::size_t Position>
  class Layer {
    using T = typename M::scalar;
    using P = typename M::ptr;
    using CP = typename M::cptr;
    using Buf = typename M::buffer;
    using Act = activation;
    using Stage = detail::ActivationStage<Act, M, Units, Units>;

   public:
    using input_shape = In;
    using output_shape = Shape<Units>;
    using spec = Dense;
    static constexpr std::size_t fan_in = In::size;
    static constexpr std::size_t parameter_count = Units * fan_in + Units;
    static constexpr std::size_t state_count = 0;
    // Kept per sample for backward: pre-activations and their gradient.
    static constexpr std::size_t cache_per_sample = Stage::cache_per_sample;
    static constexpr double flops_per_sample =
        2.0 * Units * fan_in + Units + Stage::flops_per_sample;

    static std::string kind() {
      return "Dense<" + std::to_string(Units) + detail::activation_suffix<Act>() + ">";
    }

    void attach(ParameterSlots<M>& slots) {
      auto w = slots.take(Units * fan_in);
      auto b = slots.take(Units);
      w_ = w.value, dw_ = w.grad, b_ = b.value, db_ = b.grad;
    }
    void initialize(InitialValues<T>& initial, Rng& rng) {
      detail::initialize_weights(initial.take(Units * fan_in).value, Units * fan_in, fan_in, Units,
                                 Act::initializer, rng);
      std::fill_n(initial.take(Units).value, Units, T(0));
    }
    void reserve(std::size_t batch) { stage_.reserve(batch); }

    template <class B>
    void forward(B& backend, CP x, P y, std::size_t n, Mode) {
      P z = stage_.pre_activations(y);
      backend.fill_columns(z, b_, Units, n);  // the bias, then += W x
      backend.gemm(B::Op::none, B::Op::none, Units, n, fan_in, T(1), w_, Units, x, fan_in, T(1), z,
                   Units);
      stage_.forward(backend, y, n);
    }
    template <class B>
    void backward(B& backend, CP x, CP y, CP dy, P dx, std::size_t n) {
      backward_from_logits(backend, x, stage_.backward(backend, y, dy, n), dx, n);
    }
    // Pre-activations of the last forward pass, for losses fused with Softmax/Sigmoid.
    CP logits() const { return stage_.logits(); }
    template <class B>
    void backward_from_logits(B& backend, CP x, CP dz, P dx, std::size_t n) {
      backend.gemm(B::Op::none, B::Op::transpose, Units, fan_in, n, T(1), dz, Units, x, fan_in,
                   T(1), dw_, Units);  // parameter gradients add up over micro-batches
      backend.add_column_sums(dz, Units, n, db_);
      if (dx)
        backend.gemm(B::Op::transpose, B::Op::none, fan_in, n, Units, T(1), w_, Units, dz, Units,
                     T(0), dx, fan_in);
    }

   private:
    P w_{}, dw_{}, b_{}, db_{};
    Stage stage_;
  };
};

}  // namespace tensorguard
