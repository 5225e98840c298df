#pragma once
#include "chain.hpp"

namespace tensorguard {

// A path inside Concat or Add: Branch<Conv2D<16, Kernel<1>>, ReLU>. Branch<> is the identity.
// Layers inside a branch are numbered from 1 within it.
template <class... Layers>
struct Branch {
  // The branch's checks and output shape for a given input.
  template <class In>
  using scan = detail::scan_layers<detail::layers_of_a_path, 1, In, void, Layers...>;
  template <class In, class M, std::size_t Position>
  struct Layer : detail::Chain<In, M, 1, Layers...> {};
};

template <class B>
inline constexpr bool is_branch = false;
template <class... L>
inline constexpr bool is_branch<Branch<L...>> = true;

}  // namespace tensorguard
