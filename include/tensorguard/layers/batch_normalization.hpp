#pragma once
#include "../core/buffer.hpp"
#include "../detail/diagnostics.hpp"
#include "../detail/layer.hpp"

namespace tensorguard {

// Normalises each channel (the last axis) over the batch and pixels, then scales and shifts.
// Keras defaults: momentum 0.99, epsilon 1e-3; inference uses the running statistics.
struct BatchNormalization {
  template <class In, std::size_t>
  static consteval auto diagnose() {
    return detail::pass;
  }
  template <class In>
  using output = In;

  template <class In, class M, std::size_t Position>
  class Layer {
    using T = typename M::scalar;
    using P = typename M::ptr;
    using CP = typename M::cptr;
    using Buf = typename M::buffer;
    static constexpr std::size_t channels = In::dims[In::rank - 1];
    static constexpr std::size_t rows_per_sample = In::size / channels;
    static constexpr T momentum = T(0.99), epsilon = T(1e-3);

   public:
    using input_shape = In;
    using output_shape = In;
    using spec = BatchNormalization;
    static constexpr std::size_t parameter_count = 2 * channels;  // gamma, beta
    static constexpr std::size_t state_count = 2 * channels;      // running mean, variance
    static constexpr std::size_t cache_per_sample = In::size;     // normalised input
    static constexpr bool couples_samples = true;                 // batch statistics
    static constexpr double flops_per_sample = 4.0 * In::size;
    static std::string kind() { return "BatchNormalization"; }

    void attach(ParameterSlots<M>& slots) {
      auto g = slots.take(channels);
      auto b = slots.take(channels);
      gamma_ = g.value, dgamma_ = g.grad, beta_ = b.value, dbeta_ = b.grad;
      running_mean_ = slots.take_state(channels);
      running_var_ = slots.take_state(channels);
    }
    // Written to the host staging copy in attach's order; the model uploads it.
    void initialize(InitialValues<T>& initial, Rng&) {
      std::fill_n(initial.take(channels).value, channels, T(1));  // gamma
      std::fill_n(initial.take(channels).value, channels, T(0));  // beta
      std::fill_n(initial.take_state(channels), channels, T(0));  // running mean
      std::fill_n(initial.take_state(channels), channels, T(1));  // running variance
    }
    void reserve(std::size_t batch) {
      x_hat_.resize(batch * In::size);
      inv_std_.resize(channels);
    }
    template <class B>
    void forward(B& backend, CP x, P y, std::size_t n, Mode mode) {
      if (mode == Mode::training)
        backend.batchnorm_forward_training(x, y, x_hat_.data(), inv_std_.data(), gamma_, beta_,
                                           running_mean_, running_var_, channels,
                                           n * rows_per_sample, momentum, epsilon);
      else
        backend.batchnorm_forward_inference(x, y, gamma_, beta_, running_mean_, running_var_,
                                            channels, n * rows_per_sample, epsilon);
    }
    template <class B>
    void backward(B& backend, CP, CP, CP dy, P dx, std::size_t n) {
      backend.batchnorm_backward(dy, x_hat_.data(), inv_std_.data(), gamma_, dx, dgamma_, dbeta_,
                                 channels, n * rows_per_sample);
    }

   private:
    P gamma_{}, dgamma_{}, beta_{}, dbeta_{};
    P running_mean_{}, running_var_{};
    Buf x_hat_, inv_std_;
  };
};

}  // namespace tensorguard
