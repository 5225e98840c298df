// Shared shape rule and checks of MaxPool2D and AvgPool2D.
#pragma once
#include <string>

#include "../detail/diagnostics.hpp"
#include "../detail/layer.hpp"
#include "../detail/options.hpp"
#include "conv2d.hpp"
#include "window_options.hpp"

namespace tensorguard::detail {
// The default stride is the window; with no window (an error reported elsewhere), 1.
template <class P>
struct Pool_or_1 {
  static constexpr std::size_t height = P::height, width = P::width;
};
template <>
struct Pool_or_1<void> {
  static constexpr std::size_t height = 1, width = 1;
};
}  // namespace tensorguard::detail

namespace tensorguard {
struct pooling_needs_a_Pool_window;
struct fix_add_Pool_H_W_e_g_Pool_2_2;
struct fix_pooling_options_are_Pool_Stride_Valid_or_Same;
}  // namespace tensorguard

namespace tensorguard::detail {

// What MaxPool2D and AvgPool2D share: options, checks, shape rule and name.
template <class Spec, class... Options>
struct pooling_rule {
  using pool = find_option_t<is_pool, void, Options...>;
  using stride =
      find_option_t<is_stride, Stride<Pool_or_1<pool>::height, Pool_or_1<pool>::width>, Options...>;
  using padding = find_option_t<is_padding, Valid, Options...>;

  template <class In, std::size_t Position>
  static consteval auto diagnose() {
    using where = at_layer<Position, Spec>;
    constexpr auto options =
        option_check<where, fix_pooling_options_are_Pool_Stride_Valid_or_Same, is_pool, is_stride,
                     is_padding>::template run<Options...>();
    if constexpr (!is_passed<typename decltype(options)::type>)
      return options;
    else if constexpr (std::is_void_v<pool>)
      return fail<where, pooling_needs_a_Pool_window, fix_add_Pool_H_W_e_g_Pool_2_2>;
    else
      return window_verdict<where, pool, stride, padding, In>();
  }
  template <class In>
  static constexpr WindowGeometry g = window_geometry<pool, stride, padding, In>;
  template <class In>
  using output = Shape<g<In>.out_h, g<In>.out_w, In::dims[2]>;

  static std::string kind(const char* name) {
    std::string k = std::string(name) + "<" + pair_string("Pool", pool::height, pool::width);
    if (stride::height != pool::height || stride::width != pool::width)
      k += ", " + pair_string("Stride", stride::height, stride::width);
    if (padding::padding == Padding::same) k += ", Same";
    return k + ">";
  }
};

}  // namespace tensorguard::detail
