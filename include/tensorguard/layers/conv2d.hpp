#pragma once
#include <string>

#include "../core/buffer.hpp"
#include "../detail/diagnostics.hpp"
#include "../detail/layer.hpp"
#include "../detail/options.hpp"
#include "dense.hpp"
#include "window_options.hpp"

namespace tensorguard {

struct filters_must_be_positive;
struct fix_give_it_at_least_1_filter;
struct Conv2D_needs_a_Kernel;
struct fix_add_Kernel_H_W_e_g_Kernel_3_3;
struct fix_Conv2D_options_are_Kernel_activation_Stride_Valid_or_Same;

// 2-D convolution over NHWC images: Conv2D<Filters, Kernel<3, 3>, ReLU, Stride<2>, Same>.
// Options in any order; defaults: Linear, Stride<1>, Valid.
// Conv2D<32, Kernel<3>>, not Conv2D<32, 3>: options are types, as the pack's name says in errors.
template <std::size_t Filters, class... Options_are_types_e_g_Kernel_3>
struct Conv2D {
  using kernel = detail::find_option_t<is_kernel, void, Options_are_types_e_g_Kernel_3...>;
  using activation =
      detail::find_option_t<is_activation_option, Linear, Options_are_types_e_g_Kernel_3...>;
  using stride = detail::find_option_t<is_stride, Stride<1>, Options_are_types_e_g_Kernel_3...>;
  using padding = detail::find_option_t<is_padding, Valid, Options_are_types_e_g_Kernel_3...>;

  template <class In, std::size_t Position>
  static consteval auto diagnose() {
    using where = at_layer<Position, Conv2D>;
    constexpr auto options =
        detail::option_check<where, fix_Conv2D_options_are_Kernel_activation_Stride_Valid_or_Same,
                             is_kernel, is_activation_option, is_stride,
                             is_padding>::template run<Options_are_types_e_g_Kernel_3...>();
    if constexpr (!detail::is_passed<typename decltype(options)::type>)
      return options;
    else if constexpr (std::is_void_v<kernel>)
      return detail::fail<where, Conv2D_needs_a_Kernel, fix_add_Kernel_H_W_e_g_Kernel_3_3>;
    else if constexpr (Filters == 0)
      return detail::fail<where, filters_must_be_positive, fix_give_it_at_least_1_filter>;
    else if constexpr (!detail::is_passed<detail::verdict_of<
                           detail::window_verdict<where, kernel, stride, padding, In>()>>)
      return detail::window_verdict<where, kernel, stride, padding, In>();  // (nvcc: no if-init)
    else
      return detail::activation_verdict<where, activation, Filters>();
  }
  template <class In>
  using output = Shape<detail::window_geometry<kernel, stride, padding, In>.out_h,
                       detail::window_geometry<kernel, stride, padding, In>.out_w, Filters>;

  template <class In, class M, std::size_t Position>
  class Layer {
    using T = typename M::scalar;
    using P = typename M::ptr;
    using CP = typename M::cptr;
    using Buf = typename M::buffer;
    using Act = activation;
    static constexpr WindowGeometry g = detail::window_geometry<kernel, stride, padding, In>;
    static constexpr std::size_t positions = g.out_h * g.out_w;
    using Stage = detail::ActivationStage<Act, M, Filters * positions, Filters>;
    static constexpr std::size_t patch = g.patch_size();
    // A 1x1, stride-1 convolution is a plain GEMM over the input: no im2col copy.
    static constexpr bool pointwise =
        patch == In::dims[2] && stride::height == 1 && stride::width == 1;
    // Other stride-1 convolutions on the CPU are the backend's direct (or Winograd) convolution,
    // forward, input and weight gradients (cpu/convolution.hpp): no patch matrix, nor its
    // gradient, is written.
    static constexpr bool direct =
        !pointwise && stride::height == 1 && stride::width == 1 && M::host_accessible;
    // Whether the backend may take Winograd's path (3x3 on 4 or more channels and filters);
    // where it cannot, the program compiles none of that code.
    using winograd = std::bool_constant<kernel::height == 3 && kernel::width == 3 &&
                                        In::dims[2] >= 4 && Filters >= 4>;
    template <class B>
    static constexpr bool backend_convolves = requires(B& b, const T* p, T* q) {
      b.convolve(g, p, p, q, Filters, std::size_t(1), winograd{});
      b.convolve_input_gradient(g, p, p, q, Filters, std::size_t(1), winograd{});
      b.convolve_weight_gradient(g, p, p, q, Filters, std::size_t(1));
    };

   public:
    using input_shape = In;
    using output_shape = output<In>;
    using spec = Conv2D;
    static constexpr std::size_t parameter_count = Filters * patch + Filters;
    static constexpr std::size_t state_count = 0;
    static constexpr std::size_t cache_per_sample =
        (pointwise || direct ? 0 : 2 * patch * positions) + Stage::cache_per_sample;
    static constexpr double flops_per_sample =
        (2.0 * Filters * patch + Filters) * positions + Stage::flops_per_sample;

    static std::string kind() {
      std::string k = "Conv2D<" + std::to_string(Filters) + ", " +
                      detail::pair_string("Kernel", kernel::height, kernel::width);
      if (stride::height != 1 || stride::width != 1)
        k += ", " + detail::pair_string("Stride", stride::height, stride::width);
      if (padding::padding == Padding::same) k += ", Same";
      return k + detail::activation_suffix<Act>() + ">";
    }

    void attach(ParameterSlots<M>& slots) {
      auto w = slots.take(Filters * patch);
      auto b = slots.take(Filters);
      w_ = w.value, dw_ = w.grad, b_ = b.value, db_ = b.grad;
    }
    void initialize(InitialValues<T>& initial, Rng& rng) {
      detail::initialize_weights(initial.take(Filters * patch).value, Filters * patch, patch,
                                 kernel::height * kernel::width * Filters, Act::initializer, rng);
      std::fill_n(initial.take(Filters).value, Filters, T(0));
    }
    void reserve(std::size_t batch) {
      if constexpr (!pointwise && !direct) {
        cols_.resize(batch * patch * positions);
        dcols_.resize(batch * patch * positions);
      }
      batch_ = batch;
      stage_.reserve(batch);
    }

    template <class B>
    void forward(B& backend, CP x, P y, std::size_t n, Mode) {
      if constexpr (direct && backend_convolves<B>) {
        // The backend's convolution (Winograd's where it pays), not a GEMM over the patches.
        P z = stage_.pre_activations(y);
        backend.fill_columns(z, b_, Filters, n * positions);
        backend.convolve(g, CP(w_), x, z, Filters, n, winograd{});
        stage_.forward(backend, y, n);
        return;
      }
      CP cols = x;
      if constexpr (!pointwise) {
        if constexpr (direct) cols_.resize(batch_ * patch * positions);  // no direct ops
        backend.im2col(g, x, cols_.data(), n);
        cols = cols_.data();
      }
      P z = stage_.pre_activations(y);
      const std::size_t columns = n * positions;
      backend.fill_columns(z, b_, Filters, columns);  // the bias, then += W cols
      backend.gemm(B::Op::none, B::Op::none, Filters, columns, patch, T(1), w_, Filters, cols,
                   patch, T(1), z, Filters);
      stage_.forward(backend, y, n);
    }
    template <class B>
    void backward(B& backend, CP x, CP y, CP dy, P dx, std::size_t n) {
      backward_from_logits(backend, x, stage_.backward(backend, y, dy, n), dx, n);
    }
    CP logits() const { return stage_.logits(); }
    template <class B>
    void backward_from_logits(B& backend, CP x, CP dz, P dx, std::size_t n) {
      const std::size_t columns = n * positions;
      // Parameter gradients add up over micro-batches.
      backend.add_column_sums(dz, Filters, columns, db_);
      if constexpr (direct && backend_convolves<B>) {
        backend.convolve_weight_gradient(g, x, dz, dw_, Filters, n);
        if (dx) backend.convolve_input_gradient(g, CP(w_), dz, dx, Filters, n, winograd{});
        return;
      } else if constexpr (direct) {  // a host backend without the direct ops
        dcols_.resize(batch_ * patch * positions);
      }
      CP cols = pointwise ? x : cols_.data();
      backend.gemm(B::Op::none, B::Op::transpose, Filters, patch, columns, T(1), dz, Filters, cols,
                   patch, T(1), dw_, Filters);
      if (!dx) return;
      P dcols = pointwise ? dx : dcols_.data();
      backend.gemm(B::Op::transpose, B::Op::none, patch, columns, Filters, T(1), w_, Filters, dz,
                   Filters, T(0), dcols, patch);
      if constexpr (!pointwise) backend.col2im(g, dcols, dx, n);
    }

   private:
    P w_{}, dw_{}, b_{}, db_{};
    Buf cols_, dcols_;
    std::size_t batch_ = 0;
    Stage stage_;
  };
};

}  // namespace tensorguard
