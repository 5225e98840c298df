#pragma once
#include "../core/buffer.hpp"
#include "../detail/diagnostics.hpp"
#include "../detail/layer.hpp"
#include "../detail/part_sync.hpp"

namespace tensorguard {

// Normalises each channel (the last axis) over the batch and pixels, then scales and shifts.
// Keras defaults: momentum 0.99, epsilon 1e-3; inference uses the running statistics.
// A training batch split across threads keeps whole-batch statistics: each part sums its own
// rows, the parts meet, and each normalises its rows with the combined numbers (the same in
// backward for the sums of the gradient).
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
    static constexpr bool combines_parts = true;  // but its parts' statistics combine exactly
    static constexpr double flops_per_sample = 4.0 * In::size;
    static std::string kind() { return "BatchNormalization"; }

    void attach(ParameterSlots<M>& slots) {
      auto g = slots.take(channels);
      auto b = slots.take(channels);
      gamma_ = g.value, dgamma_ = g.grad, beta_ = b.value, dbeta_ = b.grad;
      running_mean_ = slots.take_state(channels);
      running_var_ = slots.take_state(channels);
      sync_ = slots.sync, part_ = slots.part;
      if (sync_) records_ = sync_->exchange(slots.exchanges++, record_size);
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
      if (mode != Mode::training) {
        backend.batchnorm_forward_inference(x, y, gamma_, beta_, running_mean_, running_var_,
                                            channels, n * rows_per_sample, epsilon);
        return;
      }
      if constexpr (detail::runs_parts<B>) {
        static_assert(
            requires(double* r) { backend.batchnorm_part_statistics(x, r, channels, n); },
            "a backend that runs a batch's parts on threads combines BatchNormalization's "
            "statistics: give it batchnorm_part_statistics, batchnorm_forward_from_parts, "
            "batchnorm_backward_part_sums and batchnorm_backward_from_parts "
            "(backend/cpu/normalization.hpp)");
        if (sync_ && sync_->parts() > 1) {
          double* mine = records_ + part_ * record_size;
          backend.batchnorm_part_statistics(x, mine, channels, n * rows_per_sample);
          sync_->wait();
          // Part 0 alone moves the shared running statistics.
          const bool first = part_ == 0;
          backend.batchnorm_forward_from_parts(
              x, y, x_hat_.data(), inv_std_.data(), gamma_, beta_, first ? running_mean_ : P{},
              first ? running_var_ : P{}, records_, record_size, sync_->parts(), channels,
              n * rows_per_sample, momentum, epsilon);
          total_rows_ = 0;
          for (unsigned p = 0; p < sync_->parts(); ++p)
            total_rows_ += std::size_t(records_[p * record_size]);
          return;
        }
      }
      backend.batchnorm_forward_training(x, y, x_hat_.data(), inv_std_.data(), gamma_, beta_,
                                         running_mean_, running_var_, channels, n * rows_per_sample,
                                         momentum, epsilon);
    }
    template <class B>
    void backward(B& backend, CP, CP, CP dy, P dx, std::size_t n) {
      if constexpr (detail::runs_parts<B>) {
        if (sync_ && sync_->parts() > 1) {
          // Sums after the forward records: [rows, mean, M2 | sum dy, sum dy x_hat].
          double* mine = records_ + part_ * record_size + statistics_size;
          backend.batchnorm_backward_part_sums(dy, CP(x_hat_.data()), mine, dgamma_, dbeta_,
                                               channels, n * rows_per_sample);
          if (!dx) return;  // the first layer: the parameter gradients alone
          sync_->wait();
          backend.batchnorm_backward_from_parts(dy, CP(x_hat_.data()), CP(inv_std_.data()),
                                                CP(gamma_), dx, records_ + statistics_size,
                                                record_size, sync_->parts(), channels,
                                                n * rows_per_sample, total_rows_);
          return;
        }
      }
      backend.batchnorm_backward(dy, x_hat_.data(), inv_std_.data(), gamma_, dx, dgamma_, dbeta_,
                                 channels, n * rows_per_sample);
    }

   private:
    P gamma_{}, dgamma_{}, beta_{}, dbeta_{};
    P running_mean_{}, running_var_{};
    Buf x_hat_, inv_std_;
    // Parts of a batch split across threads (replicas only): where they meet, this replica's
    // part, and the exchange area of this layer's records.
    static constexpr std::size_t statistics_size = 1 + 2 * channels;
    static constexpr std::size_t record_size = statistics_size + 2 * channels;
    detail::PartSync* sync_ = nullptr;
    unsigned part_ = 0;
    double* records_ = nullptr;
    std::size_t total_rows_ = 0;
  };
};

}  // namespace tensorguard
