// Options of windowed layers (Conv2D, MaxPool2D, AvgPool2D), given in any order.
#pragma once
#include <cstddef>
#include <string>
#include <type_traits>

#include "../backend/geometry.hpp"
#include "../detail/diagnostics.hpp"

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

template <class Got>
struct needs_rank_3_input_height_width_channels_but_gets;
struct fix_add_a_channel_axis_e_g_Shape_H_W_1;
template <class Window, class Got>
struct window_larger_than_its_padded_input;
struct fix_use_Same_padding_or_a_smaller_window;
template <class Window>
struct window_must_be_positive;
template <class S>
struct stride_must_be_positive;
struct fix_make_each_side_at_least_1;

namespace detail {
template <class Window, class S, class Pad, class In>
inline constexpr WindowGeometry window_geometry = make_window_geometry(In::dims[0], In::dims[1],
                                                                       In::dims[2], Window::height,
                                                                       Window::width, S::height,
                                                                       S::width, Pad::padding);

// The checks every windowed layer makes, in order: rank, positive sizes, a non-empty output.
template <class Where, class Window, class S, class Pad, class In>
consteval auto window_verdict() {
  if constexpr (In::rank != 3)
    return fail<Where, needs_rank_3_input_height_width_channels_but_gets<In>,
                fix_add_a_channel_axis_e_g_Shape_H_W_1>;
  else if constexpr (Window::height == 0 || Window::width == 0)
    return fail<Where, window_must_be_positive<Window>, fix_make_each_side_at_least_1>;
  else if constexpr (S::height == 0 || S::width == 0)
    return fail<Where, stride_must_be_positive<S>, fix_make_each_side_at_least_1>;
  else if constexpr (window_geometry<Window, S, Pad, In>.out_h == 0 ||
                     window_geometry<Window, S, Pad, In>.out_w == 0)
    return fail<Where, window_larger_than_its_padded_input<Window, In>,
                fix_use_Same_padding_or_a_smaller_window>;
  else
    return pass;
}

inline std::string pair_string(const char* name, std::size_t h, std::size_t w) {
  return std::string(name) + "<" + std::to_string(h) + ", " + std::to_string(w) + ">";
}
}  // namespace detail

}  // namespace tensorguard
