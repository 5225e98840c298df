#pragma once
#include <cstdint>

#include "../core/buffer.hpp"
#include "pooling.hpp"

namespace tensorguard {

// Max pooling: MaxPool2D<Pool<2, 2>> (stride defaults to the window, padding to Valid).
template <class... Options_are_types_e_g_Pool_2>  // MaxPool2D<Pool<2>>, not MaxPool2D<2>
struct MaxPool2D {
  using rule = detail::pooling_rule<MaxPool2D, Options_are_types_e_g_Pool_2...>;
  template <class In, std::size_t Position>
  static consteval auto diagnose() {
    return rule::template diagnose<In, Position>();
  }
  template <class In>
  using output = typename rule::template output<In>;

  template <class In, class M, std::size_t Position>
  class Layer {
    using T = typename M::scalar;
    using P = typename M::ptr;
    using CP = typename M::cptr;
    using Buf = typename M::buffer;

   public:
    using input_shape = In;
    using output_shape = output<In>;
    using spec = MaxPool2D;
    static constexpr std::size_t parameter_count = 0, state_count = 0;
    static constexpr std::size_t cache_per_sample = output_shape::size;  // winners (32-bit)
    static constexpr double flops_per_sample =
        double(output_shape::size) * rule::pool::height * rule::pool::width;
    static std::string kind() { return rule::kind("MaxPool2D"); }

    void attach(ParameterSlots<M>&) {}
    void initialize(InitialValues<T>&, Rng&) {}
    void reserve(std::size_t batch) { argmax_.resize(batch * output_shape::size); }
    template <class B>
    void forward(B& backend, CP x, P y, std::size_t n, Mode) {
      backend.max_pool_forward(rule::template g<In>, x, y, argmax_.data(), n);
    }
    template <class B>
    void backward(B& backend, CP, CP, CP dy, P dx, std::size_t n) {
      if (dx) backend.max_pool_backward(rule::template g<In>, dy, argmax_.data(), dx, n);
    }

   private:
    typename M::template buffer_of<std::uint32_t> argmax_;
  };
};

}  // namespace tensorguard
