// Shape<D...>: the per-sample shape of a tensor, every dimension a compile-time constant.
// The batch dimension is the one runtime dimension and never appears here.
#pragma once
#include <array>
#include <cstddef>
#include <string>
#include <utility>

namespace tensorguard {

template <std::size_t... Dims>
struct Shape {
  static constexpr std::size_t rank = sizeof...(Dims);
  static constexpr std::size_t size = (std::size_t{1} * ... * Dims);
  static constexpr std::array<std::size_t, rank> dims{Dims...};

  // Row-major strides in elements: the last dimension (channels) is contiguous.
  static constexpr std::array<std::size_t, rank> strides = [] {
    std::array<std::size_t, rank> s{};
    std::size_t step = 1;
    for (std::size_t i = rank; i-- > 0;) {
      s[i] = step;
      step *= dims[i];
    }
    return s;
  }();

  static constexpr std::size_t dim(std::size_t i) { return dims[i]; }

  static std::string to_string() {
    std::string out = "Shape<";
    for (std::size_t i = 0; i < rank; ++i) {
      if (i) out += ", ";
      out += std::to_string(dims[i]);
    }
    return out + ">";
  }
};

template <class T>
inline constexpr bool is_shape = false;
template <std::size_t... D>
inline constexpr bool is_shape<Shape<D...>> = true;

template <class T>
concept ShapeType = is_shape<T>;

namespace detail {
template <class S, std::size_t Axis, std::size_t NewExtent, class Seq>
struct replace_dim_impl;
template <class S, std::size_t Axis, std::size_t NewExtent, std::size_t... I>
struct replace_dim_impl<S, Axis, NewExtent, std::index_sequence<I...>> {
  using type = Shape<(I == Axis ? NewExtent : S::dims[I])...>;
};
}  // namespace detail

// S with dimension Axis set to NewExtent (used by Concat's shape rule).
template <ShapeType S, std::size_t Axis, std::size_t NewExtent>
using ReplaceDim =
    typename detail::replace_dim_impl<S, Axis, NewExtent, std::make_index_sequence<S::rank>>::type;

}  // namespace tensorguard
