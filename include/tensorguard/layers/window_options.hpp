// Options of windowed layers (Conv2D, MaxPool2D, AvgPool2D), given in any order.
#pragma once
#include <cstddef>
#include <string>
#include <type_traits>

#include "../backend/geometry.hpp"

namespace tensorguard {

template <std::size_t H, std::size_t W = H>
struct Kernel {
  static constexpr std::size_t height = H, width = W;
};
template <std::size_t H, std::size_t W = H>
struct Stride {
  static constexpr std::size_t height = H, width = W;
};
template <std::size_t H, std::size_t W = H>
struct Pool {
  static constexpr std::size_t height = H, width = W;
};
struct Valid {
  static constexpr Padding padding = Padding::valid;
};
struct Same {
  static constexpr Padding padding = Padding::same;
};

template <class T>
struct is_kernel : std::false_type {};
template <std::size_t H, std::size_t W>
struct is_kernel<Kernel<H, W>> : std::true_type {};
template <class T>
struct is_stride : std::false_type {};
template <std::size_t H, std::size_t W>
struct is_stride<Stride<H, W>> : std::true_type {};
template <class T>
struct is_pool : std::false_type {};
template <std::size_t H, std::size_t W>
struct is_pool<Pool<H, W>> : std::true_type {};
template <class T>
struct is_padding : std::bool_constant<std::is_same_v<T, Valid> || std::is_same_v<T, Same>> {};

namespace detail {
inline std::string pair_string(const char* name, std::size_t h, std::size_t w) {
  return std::string(name) + "<" + std::to_string(h) + ", " + std::to_string(w) + ">";
}
}  // namespace detail

}  // namespace tensorguard
