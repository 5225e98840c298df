#pragma once
#include <type_traits>

#include "../core/shape.hpp"

namespace tensorguard {

// The first layer of every model: the per-sample shape and the element type (float or double;
// Sequential checks both, with the layer's position).
template <class S, class T = float>
struct Input {
  static_assert(is_shape<S>, "Input<S>: S must be a Shape<...>, e.g. Input<Shape<28, 28, 1>>");
  using shape = S;
  using scalar = T;
};

template <class T>
inline constexpr bool is_element_type = std::is_same_v<T, float> || std::is_same_v<T, double>;

template <class L>
inline constexpr bool is_input = false;
template <class S, class T>
inline constexpr bool is_input<Input<S, T>> = true;

}  // namespace tensorguard
