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
struct fix_concatenate_channels_with_axis_minus_1_axes_are_H_W_C;
struct fix_use_axis_minus_1;
struct fix_end_every_path_with_Flatten_and_concatenate_on_axis_minus_1;
struct fix_use_Same_padding_and_equal_strides_in_every_path;

// Runs every branch on the same input and joins the outputs along Axis (-1: the last axis,
// the channels of an image): Concat<-1, Branch<Conv2D<8, Kernel<1>>>, Branch<...>>.
template <int Axis, class... Branches>
struct Concat {
  template <class In>
  using first_output = detail::branch_output<std::tuple_element_t<0, std::tuple<Branches...>>, In>;
  template <class In>
  static constexpr std::size_t rank = first_output<In>::rank;
  template <class In>
  static constexpr std::size_t axis = Axis < 0 ? std::size_t(int(rank<In>) + Axis)
                                               : std::size_t(Axis);

  template <class In, std::size_t Position>
  static consteval auto diagnose() {
    using where = at_layer<Position, Concat>;
    constexpr auto branches = detail::branches_verdict<where, In, Branches...>();
    if constexpr (!detail::is_passed<typename decltype(branches)::type>)
      return branches;
    else if constexpr (!((detail::branch_output<Branches, In>::rank == rank<In>)&&...))
      return detail::fail<
          where, concat_needs_branches_of_equal_rank<detail::branch_output<Branches, In>...>,
          fix_end_every_path_with_Flatten_and_concatenate_on_axis_minus_1>;
    else if constexpr (Axis < -int(rank<In>) || Axis >= int(rank<In>))
      return detail::fail<
          where, concat_axis_out_of_range_for_rank<Axis, rank<In>>,
          std::conditional_t<rank<In> == 3,
                             fix_concatenate_channels_with_axis_minus_1_axes_are_H_W_C,
                             fix_use_axis_minus_1>>;
    else if constexpr (!(same_except_axis<detail::branch_output<Branches, In>, In>() && ...))
      return detail::fail<
          where,
          concat_needs_equal_dimensions_except_the_axis<Axis,
                                                        detail::branch_output<Branches, In>...>,
          std::conditional_t<(rank<In> == 3 &&
                              (same_spatial<detail::branch_output<Branches, In>, In>() && ...)),
                             fix_concatenate_channels_with_axis_minus_1_axes_are_H_W_C,
                             fix_use_Same_padding_and_equal_strides_in_every_path>>;
    else
      return detail::pass;
  }
  template <class In>
  using output =
      ReplaceDim<first_output<In>, axis<In>,
                 (std::size_t{0} + ... + detail::branch_output<Branches, In>::dims[axis<In>])>;

  template <class S, class In>
  static constexpr bool same_spatial() {
    return S::dims[0] == first_output<In>::dims[0] && S::dims[1] == first_output<In>::dims[1];
  }
  template <class S, class In>
  static constexpr bool same_except_axis() {
    for (std::size_t d = 0; d < rank<In>; ++d)
      if (d != axis<In> && S::dims[d] != first_output<In>::dims[d]) return false;
    return true;
  }

  template <class In, class M, std::size_t Position>
  class Layer : public detail::Merge<In, M, Branches...> {
    using base = detail::Merge<In, M, Branches...>;
    using T = typename M::scalar;
    using P = typename M::ptr;
    using CP = typename M::cptr;
    using Buf = typename M::buffer;
    using first = first_output<In>;
    static constexpr std::size_t axis = Concat::axis<In>;
    // Per sample, `outer` blocks; branch I contributes `inner[I]` values to each.
    static constexpr std::size_t outer = [] {
      std::size_t o = 1;
      for (std::size_t d = 0; d < axis; ++d) o *= first::dims[d];
      return o;
    }();
    static constexpr std::array<std::size_t, sizeof...(Branches)> inner{
        (detail::branch_output<Branches, In>::size / outer)...};
    static constexpr std::size_t inner_total =
        (0 + ... + (detail::branch_output<Branches, In>::size / outer));
    static constexpr std::size_t offset(std::size_t i) {
      std::size_t o = 0;
      for (std::size_t k = 0; k < i; ++k) o += inner[k];
      return o;
    }

   public:
    using input_shape = In;
    using output_shape = output<In>;
    using spec = Concat;
    static std::string kind() {
      return "Concat<axis " + std::to_string(Axis) + ", " + std::to_string(sizeof...(Branches)) +
             " branches>";
    }
    static void describe(std::vector<LayerRecord>& out, const std::string& path, int depth) {
      base::template describe_branches<Layer>(out, path, depth);
    }

    template <class B>
    void forward(B& backend, CP x, P y, std::size_t n, Mode mode) {
      this->forward_branches(backend, x, n, mode);
      for (std::size_t i = 0; i < sizeof...(Branches); ++i)
        backend.copy_blocks(this->outputs_[i].data(), inner[i], y + offset(i), inner_total,
                            inner[i], n * outer);
    }
    template <class B>
    void backward(B& backend, CP x, CP, CP dy, P dx, std::size_t n) {
      for (std::size_t i = 0; i < sizeof...(Branches); ++i)
        backend.copy_blocks(dy + offset(i), inner_total, this->grads_[i].data(), inner[i], inner[i],
                            n * outer);
      this->backward_branches(backend, x, dx, n,
                              [&](std::size_t i) { return this->grads_[i].data(); });
    }
  };
};

}  // namespace tensorguard
