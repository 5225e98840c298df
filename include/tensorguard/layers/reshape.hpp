#pragma once
#include "../detail/diagnostics.hpp"
#include "../detail/layer.hpp"

namespace tensorguard {

template <class From, class To>
struct reshape_must_keep_the_element_count;
struct Reshape_takes_a_Shape;
template <class Suggestion>
struct fix_keep_the_element_count_e_g;

namespace detail {
// An image of N values: the largest square side s with s * s dividing N, and N / (s * s) channels.
template <std::size_t N>
consteval std::size_t image_side() {
  std::size_t side = 1;
  for (std::size_t s = 1; s * s <= N; ++s)
    if (N % (s * s) == 0) side = s;
  return side;
}
template <std::size_t N>
using image_shape_of =
    Shape<image_side<N>(), image_side<N>(), N / (image_side<N>() * image_side<N>())>;

// The axis of To that, alone changed, makes To hold N values (the smallest change wins); rank if
// none does.
template <std::size_t N, class To>
consteval std::size_t reshape_axis_to_change() {
  std::size_t best = To::rank, best_change = 0;
  for (std::size_t axis = 0; axis < To::rank; ++axis) {
    std::size_t others = 1;
    for (std::size_t d = 0; d < To::rank; ++d)
      if (d != axis) others *= To::dims[d];
    if (others == 0 || N % others != 0) continue;
    const std::size_t extent = N / others, old = To::dims[axis];
    const std::size_t change = extent > old ? extent - old : old - extent;
    if (best == To::rank || change < best_change) best = axis, best_change = change;
  }
  return best;
}
// A shape of N values near To: To with one axis changed, else an image for an image, else Shape<N>.
template <std::size_t N, class To, std::size_t Axis = reshape_axis_to_change<N, To>()>
struct reshape_suggestion {
  using type = std::conditional_t<To::rank == 3, image_shape_of<N>, Shape<N>>;
};
template <std::size_t N, class To, std::size_t Axis>
requires(Axis < To::rank) struct reshape_suggestion<N, To, Axis> {
  static constexpr std::size_t others = To::size / To::dims[Axis];
  using type = ReplaceDim<To, Axis, N / others>;
};

// A layer that only reinterprets its input: the values are copied unchanged (NHWC order).
template <class Spec, class In, class Out, class M>
struct reinterpret_layer {
  using T = typename M::scalar;
  using P = typename M::ptr;
  using CP = typename M::cptr;
  using input_shape = In;
  using output_shape = Out;
  using spec = Spec;
  static constexpr std::size_t parameter_count = 0, state_count = 0, cache_per_sample = 0;
  static constexpr double flops_per_sample = 0;
  static constexpr bool aliases_input = true;  // inside a chain, the output is the input's memory
  void attach(ParameterSlots<M>&) {}
  void initialize(InitialValues<T>&, Rng&) {}
  void reserve(std::size_t) {}
  template <class B>
  void forward(B& backend, CP x, P y, std::size_t n, Mode) {
    backend.copy(x, y, n * In::size);
  }
  template <class B>
  void backward(B& backend, CP, CP, CP dy, P dx, std::size_t n) {
    if (dx) backend.copy(dy, dx, n * In::size);
  }
};
}  // namespace detail

// Any shape to rank 1: Shape<H, W, C> -> Shape<H * W * C>.
struct Flatten {
  template <class In, std::size_t>
  static consteval auto diagnose() {
    return detail::pass;
  }
  template <class In>
  using output = Shape<In::size>;
  template <class In, class M, std::size_t Position>
  struct Layer : detail::reinterpret_layer<Flatten, In, Shape<In::size>, M> {
    static std::string kind() { return "Flatten"; }
  };
};

// To the given shape, same element count: Reshape<Shape<7, 7, 16>>.
template <class To>
struct Reshape {
  template <class In, std::size_t Position>
  static consteval auto diagnose() {
    if constexpr (!is_shape<To>)
      return detail::fail<at_layer<Position, Reshape>, Reshape_takes_a_Shape>;
    else if constexpr (In::size != To::size)
      return detail::fail<
          at_layer<Position, Reshape>, reshape_must_keep_the_element_count<In, To>,
          fix_keep_the_element_count_e_g<typename detail::reshape_suggestion<In::size, To>::type>>;
    else
      return detail::pass;
  }
  template <class In>
  using output = To;
  template <class In, class M, std::size_t Position>
  struct Layer : detail::reinterpret_layer<Reshape, In, To, M> {
    static std::string kind() { return "Reshape<" + To::to_string() + ">"; }
  };
};

}  // namespace tensorguard
