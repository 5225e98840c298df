// Machinery every layer shares: the run mode, where a layer's parameters live, how layers
// describe themselves (summary, weights-file header), weight initialisation and activations.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "../activations/domain.hpp"
#include "../activations/linear.hpp"
#include "../activations/softmax.hpp"
#include "../backend/memory.hpp"
#include "../core/buffer.hpp"
#include "../core/random.hpp"
#include "../core/shape.hpp"

namespace tensorguard {

enum class Mode { training, inference };

// A model keeps all trainable parameters in one flat array (and their gradients in another,
// same layout) so optimizers and the weights file see one contiguous block; layers take
// consecutive slices in declaration order (ParameterSlots, backend/memory.hpp).

// One row of the summary and of the weights-file header.
struct LayerRecord {
  std::string path;  // "3", or "4.1.2" inside branches
  std::string kind;  // "Dense<10, Softmax>"
  std::vector<std::size_t> input_dims, output_dims;
  std::size_t parameters = 0, state = 0;
  int depth = 0;
  bool container = false;  // a merge: its layers follow as their own records
};

template <class S>
std::vector<std::size_t> dims_vector() {
  return {S::dims.begin(), S::dims.end()};
}

inline std::string dims_string(const std::vector<std::size_t>& dims) {
  std::string out = "Shape<";
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (i) out += ", ";
    out += std::to_string(dims[i]);
  }
  return out + ">";
}

namespace detail {

// A layer whose training output for one sample depends on the other samples of the batch
// (BatchNormalization's batch statistics): such a model's training batch is never split into
// micro-batches.
template <class L>
inline constexpr bool couples_samples = requires {
  requires L::couples_samples;
};
// One that couples samples but combines the statistics of a batch's parts itself (through the
// parts' PartSync), so the batch may still be split across threads. A container: every layer
// in it that couples samples does.
template <class L>
inline constexpr bool combines_parts = requires {
  requires L::combines_parts;
};
template <class L>
inline constexpr bool splits_across_threads = !couples_samples<L> || combines_parts<L>;

// Calls f(Rng&) for each random generator a layer or container holds, in declaration order.
template <class L, class F>
void visit_generators_of(L& layer, F& f) {
  if constexpr (requires { layer.visit_generators(f); }) layer.visit_generators(f);
}

template <class Impl>
LayerRecord leaf_record(const std::string& path, int depth) {
  return LayerRecord{path,
                     Impl::kind(),
                     dims_vector<typename Impl::input_shape>(),
                     dims_vector<typename Impl::output_shape>(),
                     Impl::parameter_count,
                     Impl::state_count,
                     depth};
}

template <class A>
std::string activation_suffix() {
  if constexpr (std::is_same_v<A, Linear>)
    return "";
  else
    return std::string(", ") + A::name;
}

// Glorot uniform (Keras's default) or He normal truncated at two standard deviations.
template <class T>
void initialize_weights(T* w, std::size_t n, std::size_t fan_in, std::size_t fan_out,
                        Initializer init, Rng& rng) {
  if (init == Initializer::glorot_uniform) {
    const double limit = std::sqrt(6.0 / double(fan_in + fan_out));
    for (std::size_t i = 0; i < n; ++i) w[i] = T(rng.uniform(-limit, limit));
    return;
  }
  // 0.8796... is the standard deviation of a unit normal truncated to [-2, 2].
  const double stddev = std::sqrt(2.0 / double(fan_in)) / 0.87962566103423978;
  for (std::size_t i = 0; i < n; ++i) {
    double v;
    do v = rng.normal();
    while (v < -2.0 || v > 2.0);
    w[i] = T(v * stddev);
  }
}

// An activation whose derivative at z is a function of y = A(z) alone (A::derivative(y, y)
// equals A::derivative(z, y)): a layer applies it in place and keeps no pre-activations.
template <class A>
inline constexpr bool derivative_from_output = requires {
  requires A::derivative_from_output;
};

// Activation over `count` values grouped by the last axis (`last` values per group).
template <class A, class B, class CP, class P>
void activation_forward(B& backend, CP z, P y, std::size_t count, std::size_t last) {
  if constexpr (A::elementwise)
    backend.template activation_forward<A>(z, y, count);
  else
    backend.softmax_forward(z, y, last, count / last);
}
template <class A, class B, class CP, class P>
void activation_backward(B& backend, CP z, CP y, CP dy, P dz, std::size_t count, std::size_t last) {
  if constexpr (A::elementwise)
    backend.template activation_backward<A>(z, y, dy, dz, count);
  else
    backend.softmax_backward(y, dy, dz, last, count / last);
}

// The activation built into Dense and Conv2D, after their GEMM: where the pre-activations and
// their gradient live. Width values per sample, Last of them on the last axis. Pre-activations
// are kept only where backward (or a fused loss) needs them: ReLU-like activations are applied
// in place, their derivative read from the output.
template <class A, class M, std::size_t Width, std::size_t Last>
class ActivationStage {
  using P = typename M::ptr;
  using CP = typename M::cptr;

 public:
  static constexpr bool active = !std::is_same_v<A, Linear>;
  static constexpr bool keeps_logits = active && !derivative_from_output<A>;
  static constexpr std::size_t cache_per_sample = (keeps_logits ? Width : 0) + (active ? Width : 0);
  static constexpr double flops_per_sample = active ? 4.0 * Width : 0.0;

  void reserve(std::size_t batch) {
    if constexpr (keeps_logits) z_.resize(batch * Width);
    if constexpr (active) dz_.resize(batch * Width);
  }
  // Where the GEMM writes the pre-activations of samples whose outputs go to y.
  P pre_activations(P y) { return keeps_logits ? z_.data() : y; }
  template <class B>
  void forward(B& backend, P y, std::size_t n) {
    if constexpr (keeps_logits)
      activation_forward<A>(backend, CP(z_.data()), y, n * Width, Last);
    else if constexpr (active)
      backend.template activation_in_place<A>(y, n * Width);
  }
  // The gradient of the pre-activations (dy itself when there is no activation).
  template <class B>
  CP backward(B& backend, CP y, CP dy, std::size_t n) {
    if constexpr (!active) {
      return dy;
    } else {
      activation_backward<A>(backend, keeps_logits ? CP(z_.data()) : y, y, dy, dz_.data(),
                             n * Width, Last);
      return dz_.data();
    }
  }
  // Pre-activations of the last forward pass, for losses fused with Softmax/Sigmoid.
  CP logits() const { return z_.data(); }

 private:
  typename M::buffer z_, dz_;
};

}  // namespace detail
}  // namespace tensorguard
