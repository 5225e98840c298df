#pragma once
#include "../detail/diagnostics.hpp"
#include "merge.hpp"

namespace tensorguard {

template <class... BranchShapes>
struct add_needs_branches_of_identical_shape;

namespace detail {
// Add's and Residual's rule: the branches pass their checks and agree on the output shape.
template <class Where, class In, class... Branches>
consteval auto sum_verdict() {
  constexpr auto branches = branches_verdict<Where, In, Branches...>();
  if constexpr (!is_passed<typename decltype(branches)::type>)
    return branches;
  else if constexpr (!(std::is_same_v<
                           branch_output<Branches, In>,
                           branch_output<std::tuple_element_t<0, std::tuple<Branches...>>, In>> &&
                       ...))
    return fail<Where, add_needs_branches_of_identical_shape<branch_output<Branches, In>...>>;
  else
    return pass;
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
    return detail::sum_verdict<at_layer<Position, Add>, In, Branches...>();
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
