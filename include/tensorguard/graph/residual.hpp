#pragma once
#include "add.hpp"

namespace tensorguard {

// y = x + f(x), f the given layers: Residual<Conv2D<16, Kernel<3>, Same, ReLU>, ...>.
// f must keep the input's shape (it is Add<Branch<>, Branch<Layers...>>).
template <class... Layers>
struct Residual {
  template <class In, std::size_t Position>
  static consteval auto diagnose() {
    return detail::sum_verdict<at_layer<Position, Residual>, true, In, Branch<>,
                               Branch<Layers...>>();
  }
  template <class In>
  using output = In;
  template <class In, class M, std::size_t Position>
  using Layer = detail::AddLayer<Residual, Position, In, M, Branch<>, Branch<Layers...>>;
  static std::string kind_name() { return "Residual"; }
};

}  // namespace tensorguard
