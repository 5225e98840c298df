#pragma once
#include "../detail/diagnostics.hpp"
#include "../detail/layer.hpp"
#include "conv2d.hpp"

namespace tensorguard {

// Mean over height and width: Shape<H, W, C> -> Shape<C>.
struct GlobalAveragePool2D {
  template <class In, std::size_t Position>
  static consteval auto diagnose() {
    if constexpr (In::rank != 3)
      return detail::fail<at_layer<Position, GlobalAveragePool2D>,
                          needs_rank_3_input_height_width_channels_but_gets<In>,
                          fix_add_a_channel_axis_e_g_Shape_H_W_1>;
    else
      return detail::pass;
  }
  template <class In>
  using output = Shape<In::dims[2]>;

  template <class In, class M, std::size_t Position>
  class Layer {
    using T = typename M::scalar;
    using P = typename M::ptr;
    using CP = typename M::cptr;
    using Buf = typename M::buffer;
    static constexpr std::size_t pixels = In::dims[0] * In::dims[1];
    static constexpr std::size_t channels = In::dims[2];

   public:
    using input_shape = In;
    using output_shape = Shape<channels>;
    using spec = GlobalAveragePool2D;
    static constexpr std::size_t parameter_count = 0, state_count = 0, cache_per_sample = 0;
    static constexpr double flops_per_sample = double(In::size);
    static std::string kind() { return "GlobalAveragePool2D"; }

    void attach(ParameterSlots<M>&) {}
    void initialize(InitialValues<T>&, Rng&) {}
    void reserve(std::size_t) {}
    template <class B>
    void forward(B& backend, CP x, P y, std::size_t n, Mode) {
      backend.global_avg_pool_forward(x, y, pixels, channels, n);
    }
    template <class B>
    void backward(B& backend, CP, CP, CP dy, P dx, std::size_t n) {
      if (dx) backend.global_avg_pool_backward(dy, dx, pixels, channels, n);
    }
  };
};

}  // namespace tensorguard
