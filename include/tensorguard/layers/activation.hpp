#pragma once
#include "../core/buffer.hpp"
#include "../detail/layer.hpp"
#include "dense.hpp"

namespace tensorguard {

template <class A>
struct is_not_an_activation;
struct fix_use_ReLU_LeakyReLU_ELU_Sigmoid_Tanh_Softmax_GELU_or_Linear;

// A standalone activation: Activation<ReLU>. Softmax acts over the last axis.
template <class A>
struct Activation {
  using activation = A;

  template <class In, std::size_t Position>
  static consteval auto diagnose() {
    if constexpr (!ActivationFunction<A>)
      return detail::fail<at_layer<Position, Activation>, is_not_an_activation<A>,
                          fix_use_ReLU_LeakyReLU_ELU_Sigmoid_Tanh_Softmax_GELU_or_Linear>;
    else
      return detail::activation_verdict<at_layer<Position, Activation>, A,
                                        In::dims[In::rank - 1]>();
  }
  template <class In>
  using output = In;

  template <class In, class M, std::size_t Position>
  class Layer {
    using T = typename M::scalar;
    using P = typename M::ptr;
    using CP = typename M::cptr;
    using Buf = typename M::buffer;
    static constexpr std::size_t last = In::dims[In::rank - 1];

   public:
    using input_shape = In;
    using output_shape = In;
    using spec = Activation;
    static constexpr std::size_t parameter_count = 0, state_count = 0, cache_per_sample = 0;
    static constexpr double flops_per_sample = 4.0 * In::size;
    static std::string kind() { return std::string("Activation<") + A::name + ">"; }

    void attach(ParameterSlots<M>&) {}
    void initialize(InitialValues<T>&, Rng&) {}
    void reserve(std::size_t) {}
    template <class B>
    void forward(B& backend, CP x, P y, std::size_t n, Mode) {
      x_ = x;
      detail::activation_forward<A>(backend, x, y, n * In::size, last);
    }
    template <class B>
    void backward(B& backend, CP x, CP y, CP dy, P dx, std::size_t n) {
      if (dx) detail::activation_backward<A>(backend, x, y, dy, dx, n * In::size, last);
    }
    CP logits() const { return x_; }
    template <class B>
    void backward_from_logits(B& backend, CP, CP dz, P dx, std::size_t n) {
      if (dx) backend.copy(dz, dx, n * In::size);
    }

   private:
    CP x_ = nullptr;
  };
};

}  // namespace tensorguard
