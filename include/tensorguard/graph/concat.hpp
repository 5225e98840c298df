#pragma once
#include <array>

#include "../detail/diagnostics.hpp"
#include "merge.hpp"

namespace tensorguard {

template <int Axis, class... BranchShapes>
struct concat_needs_equal_dimensions_except_the_axis;
template <int Axis, std::size_t Rank>
struct concat_axis_out_of_range_for_rank;
template <class... BranchShapes>
struct concat_needs_branches_of_equal_rank;
struct concat_needs_at_least_two_branches;

// Runs every branch on the same input and joins the outputs along Axis (-1: the last axis,
// the channels of an image): Concat<-1, Branch<Conv2D<8, Kernel<1>>>, Branch<...>>.
template <int Axis, class... Branches>
struct Concat {
  static_assert((is_branch<Branches> && ...),
                "Concat<Axis, Branch<...>...>: every argument after the axis is a Branch<...>");

  template <class In, class T, std::size_t Position>
  class Layer : public detail::Merge<In, T, Branches...> {
    using base = detail::Merge<In, T, Branches...>;
    template <std::size_t I>
    using out_t = typename base::template body_t<I>::output_shape;
    using first = out_t<0>;
    static constexpr std::size_t rank = first::rank;
    static_assert(require_v<(sizeof...(Branches) >= 2), at_layer<Position, Concat>,
                            concat_needs_at_least_two_branches>);
    static_assert(
        require_v<((Branches::template Layer<In, T, 1>::output_shape::rank == rank) && ...),
                  at_layer<Position, Concat>,
                  concat_needs_branches_of_equal_rank<
                      typename Branches::template Layer<In, T, 1>::output_shape...>>);
    static_assert(require_v<(Axis >= -int(rank) && Axis < int(rank)), at_layer<Position, Concat>,
                            concat_axis_out_of_range_for_rank<Axis, rank>>);
    static constexpr std::size_t axis =
        Axis < 0 ? std::size_t(int(rank) + Axis) : std::size_t(Axis);

    template <class S>
    static constexpr bool same_except_axis() {
      for (std::size_t d = 0; d < rank; ++d)
        if (d != axis && S::dims[d] != first::dims[d]) return false;
      return true;
    }
    static_assert(
        require_v<(same_except_axis<typename Branches::template Layer<In, T, 1>::output_shape>() &&
                   ...),
                  at_layer<Position, Concat>,
                  concat_needs_equal_dimensions_except_the_axis<
                      Axis, typename Branches::template Layer<In, T, 1>::output_shape...>>);

    // Per sample, `outer` blocks; branch I contributes `inner[I]` values to each.
    static constexpr std::size_t outer = [] {
      std::size_t o = 1;
      for (std::size_t d = 0; d < axis; ++d) o *= first::dims[d];
      return o;
    }();
    static constexpr std::array<std::size_t, sizeof...(Branches)> inner{
        (Branches::template Layer<In, T, 1>::output_shape::size / outer)...};
    static constexpr std::size_t inner_total =
        (0 + ... + (Branches::template Layer<In, T, 1>::output_shape::size / outer));
    static constexpr std::size_t offset(std::size_t i) {
      std::size_t o = 0;
      for (std::size_t k = 0; k < i; ++k) o += inner[k];
      return o;
    }

   public:
    using input_shape = In;
    using output_shape = ReplaceDim<first, axis,
                                    (std::size_t{0} + ... +
                                     Branches::template Layer<In, T, 1>::output_shape::dims[axis])>;
    using spec = Concat;
    static std::string kind() {
      return "Concat<axis " + std::to_string(Axis) + ", " + std::to_string(sizeof...(Branches)) +
             " branches>";
    }
    static void describe(std::vector<LayerRecord>& out, const std::string& path, int depth) {
      base::template describe_branches<Layer>(out, path, depth);
    }

    template <class B>
    void forward(B& backend, const T* x, T* y, std::size_t n, Mode mode) {
      this->forward_branches(backend, x, n, mode);
      for (std::size_t i = 0; i < sizeof...(Branches); ++i)
        backend.copy_blocks(this->outputs_[i].data(), inner[i], y + offset(i), inner_total,
                            inner[i], n * outer);
    }
    template <class B>
    void backward(B& backend, const T* x, const T*, const T* dy, T* dx, std::size_t n) {
      for (std::size_t i = 0; i < sizeof...(Branches); ++i)
        backend.copy_blocks(dy + offset(i), inner_total, this->grads_[i].data(), inner[i], inner[i],
                            n * outer);
      this->backward_branches(backend, x, dx, n,
                              [&](std::size_t i) { return this->grads_[i].data(); });
    }
  };
};

}  // namespace tensorguard
