#pragma once
#include "pooling.hpp"

namespace tensorguard {

// Average pooling over the unpadded pixels of each window: AvgPool2D<Pool<2, 2>>.
template <class... Options_are_types_e_g_Pool_2>  // AvgPool2D<Pool<2>>, not AvgPool2D<2>
struct AvgPool2D {
  using rule = detail::pooling_rule<AvgPool2D, Options_are_types_e_g_Pool_2...>;
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
    using spec = AvgPool2D;
    static constexpr std::size_t parameter_count = 0, state_count = 0, cache_per_sample = 0;
    static constexpr double flops_per_sample =
        double(output_shape::size) * rule::pool::height * rule::pool::width;
    static std::string kind() { return rule::kind("AvgPool2D"); }

    void attach(ParameterSlots<M>&) {}
    void initialize(InitialValues<T>&, Rng&) {}
    void reserve(std::size_t) {}
    template <class B>
    void forward(B& backend, CP x, P y, std::size_t n, Mode) {
      backend.avg_pool_forward(rule::template g<In>, x, y, n);
    }
    template <class B>
    void backward(B& backend, CP, CP, CP dy, P dx, std::size_t n) {
      if (dx) backend.avg_pool_backward(rule::template g<In>, dy, dx, n);
    }
  };
};

}  // namespace tensorguard
