#pragma once
#include "../detail/diagnostics.hpp"
#include "../layers/conv2d.hpp"
#include "../layers/dense.hpp"
#include "merge.hpp"

namespace tensorguard {

template <class... BranchShapes>
struct add_needs_branches_of_identical_shape;
template <std::size_t Path, class Layer>
struct fix_end_path_with;
template <class Layer>
struct fix_end_the_residual_layers_with;
struct fix_use_Same_padding_and_equal_strides_in_every_path;
struct fix_use_Stride_1_and_Same_padding_in_the_residual_layers;
template <class S>
struct fix_give_every_path_the_shape;

namespace detail {
// How path Path (output Got) reaches the shape Want of the first path (of the input, for a
// residual): a 1x1 convolution or a Dense to the wanted width, or matching spatial sizes.
template <class Want, class Got, std::size_t Path, bool Residual>
consteval auto sum_fix() {
  using end_with =
      std::conditional_t<Want::rank == 3, Conv2D<Want::dims[Want::rank - 1], Kernel<1>>,
                         Dense<Want::dims[0]>>;
  if constexpr (Want::rank != Got::rank || (Want::rank != 1 && Want::rank != 3))
    return std::type_identity<fix_give_every_path_the_shape<Want>>{};
  else if constexpr (Want::rank == 3 &&
                     (Want::dims[0] != Got::dims[0] || Want::dims[1] != Got::dims[1]))
    return std::type_identity<
        std::conditional_t<Residual, fix_use_Stride_1_and_Same_padding_in_the_residual_layers,
                           fix_use_Same_padding_and_equal_strides_in_every_path>>{};
  else if constexpr (Residual)
    return std::type_identity<fix_end_the_residual_layers_with<end_with>>{};
  else
    return std::type_identity<fix_end_path_with<Path, end_with>>{};
}

template <class Where, bool Residual, class In, class... Branches>
consteval auto sum_verdict() {
  constexpr auto branches = paths_verdict<Where, Residual, In, Branches...>();
  using first = branch_output<std::tuple_element_t<0, std::tuple<Branches...>>, In>;
  if constexpr (!is_passed<typename decltype(branches)::type>) {
    return branches;
  } else if constexpr (!(std::is_same_v<branch_output<Branches, In>, first> && ...)) {
    constexpr std::size_t path = [] {
      const bool same[] = {std::is_same_v<branch_output<Branches, In>, first>...};
      std::size_t k = 0;
      while (same[k]) ++k;
      return k;
    }();
    using got = branch_output<std::tuple_element_t<path, std::tuple<Branches...>>, In>;
    return fail<Where, add_needs_branches_of_identical_shape<branch_output<Branches, In>...>,
                typename decltype(sum_fix<first, got, path + 1, Residual>())::type>;
  } else {
    return pass;
  }
}

template <class Spec, std::size_t Position, class In, class M, class... Branches>
class AddLayer : public Merge<In, M, Branches...> {
  using base = Merge<In, M, Branches...>;
  using T = typename M::scalar;
  using P = typename M::ptr;
  using CP = typename M::cptr;
  using Buf = typename M::buffer;
  using first = typename base::template body_t<0>::output_shape;

 public:
  using input_shape = In;
  using output_shape = first;
  using spec = Spec;
  static std::string kind() { return Spec::kind_name(); }
  static constexpr double flops_per_sample =
      base::flops_per_sample + double(first::size) * (sizeof...(Branches) - 1);

  static void describe(std::vector<LayerRecord>& out, const std::string& path, int depth) {
    base::template describe_branches<AddLayer>(out, path, depth);
  }
  template <class B>
  void forward(B& backend, CP x, P y, std::size_t n, Mode mode) {
    this->forward_branches(backend, x, n, mode);
    backend.add(this->outputs_[0].data(), this->outputs_[1].data(), y, n * first::size);
    for (std::size_t i = 2; i < sizeof...(Branches); ++i)
      backend.accumulate(this->outputs_[i].data(), y, n * first::size);
  }
  // The sum passes its gradient unchanged to every branch.
  template <class B>
  void backward(B& backend, CP x, CP, CP dy, P dx, std::size_t n) {
    this->backward_branches(backend, x, dx, n, [&](std::size_t) { return dy; });
  }
};
}  // namespace detail

// Elementwise sum of branches of identical output shape: Add<Branch<...>, Branch<...>>.
template <class... Branches>
struct Add {
  template <class In, std::size_t Position>
  static consteval auto diagnose() {
    return detail::sum_verdict<at_layer<Position, Add>, false, In, Branches...>();
  }
  template <class In>
  using output = detail::branch_output<std::tuple_element_t<0, std::tuple<Branches...>>, In>;
  template <class In, class M, std::size_t Position>
  using Layer = detail::AddLayer<Add, Position, In, M, Branches...>;
  static std::string kind_name() {
    return "Add<" + std::to_string(sizeof...(Branches)) + " branches>";
  }
};

}  // namespace tensorguard
