// Normalization: the model's own input scaling, as Keras's Normalization layer. Model::adapt
// sets each channel's mean and variance from the training inputs; they are non-trainable state,
// so the weights file carries them and predict applies them to raw inputs.
#pragma once
#include <limits>

#include "../core/buffer.hpp"
#include "../detail/diagnostics.hpp"
#include "../detail/layer.hpp"

namespace tensorguard {

// y = (x - mean) / sqrt(variance) for each channel (the last axis: each feature of a vector,
// each colour channel of an image). Statistics come from Model::adapt; until then they are NaN
// and fit, evaluate and predict refuse to run.
struct Normalization {
  static constexpr bool first_layer_only = true;  // chain.hpp: only right after Input
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

   public:
    static constexpr std::size_t channels = In::dims[In::rank - 1];
    static constexpr std::size_t rows_per_sample = In::size / channels;
    using input_shape = In;
    using output_shape = In;
    using spec = Normalization;
    static constexpr std::size_t parameter_count = 0;
    static constexpr std::size_t state_count = 2 * channels;  // mean, variance
    static constexpr std::size_t cache_per_sample = 0;
    static constexpr double flops_per_sample = 2.0 * In::size;
    static std::string kind() { return "Normalization"; }

    void attach(ParameterSlots<M>& slots) {
      mean_ = slots.take_state(channels);
      variance_ = slots.take_state(channels);
    }
    void initialize(InitialValues<T>& initial, Rng&) {
      // Not adapted yet: NaN, which Model refuses to run with (adapt sets them).
      std::fill_n(initial.take_state(channels), 2 * channels, std::numeric_limits<T>::quiet_NaN());
    }
    void reserve(std::size_t) {
      ones_.resize(channels);
      zeros_.resize(channels);
    }
    // Batch normalization's inference op with unit scale and zero shift. The constants are
    // refilled on each pass (two writes of `channels` values): no state to go stale.
    template <class B>
    void forward(B& backend, CP x, P y, std::size_t n, Mode) {
      fill_constants(backend);
      backend.batchnorm_forward_inference(x, y, CP(ones_.data()), CP(zeros_.data()), CP(mean_),
                                          CP(variance_), channels, n * rows_per_sample, T(0));
    }
    // dx = dy / sqrt(variance): the same op with a zero mean. Not called as the model's first
    // layer, where no layer below needs the input gradient.
    template <class B>
    void backward(B& backend, CP, CP, CP dy, P dx, std::size_t n) {
      if (!dx) return;
      fill_constants(backend);
      backend.batchnorm_forward_inference(dy, dx, CP(ones_.data()), CP(zeros_.data()),
                                          CP(zeros_.data()), CP(variance_), channels,
                                          n * rows_per_sample, T(0));
    }

   private:
    template <class B>
    void fill_constants(B& backend) {
      backend.fill(ones_.data(), T(1), channels);
      backend.fill(zeros_.data(), T(0), channels);
    }
    P mean_{}, variance_{};
    Buf ones_, zeros_;
  };
};

}  // namespace tensorguard
