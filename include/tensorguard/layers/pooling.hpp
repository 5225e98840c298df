// Shared shape rule and checks of MaxPool2D and AvgPool2D.
#pragma once
#include <string>

#include "../detail/diagnostics.hpp"
#include "../detail/layer.hpp"
#include "../detail/options.hpp"
#include "conv2d.hpp"
#include "window_options.hpp"

namespace tensorguard::detail {

template <class Spec, class In, std::size_t Position, class... Options>
struct pooling_rule {
  using pool = find_option_t<is_pool, void, Options...>;
  static_assert(!std::is_void_v<pool>, "pooling layers need a window: MaxPool2D<Pool<2, 2>>");
  using stride = find_option_t<is_stride, Stride<pool::height, pool::width>, Options...>;
  using padding = find_option_t<is_padding, Valid, Options...>;
  static_assert(sizeof...(Options) == count_options<is_pool, Options...> +
                                          count_options<is_stride, Options...> +
                                          count_options<is_padding, Options...>,
                "pooling options are Pool<H, W>, Stride<H, W>, and Valid or Same");
  static_assert(require_v<In::rank == 3, at_layer<Position, Spec>,
                          needs_rank_3_input_height_width_channels_but_gets<In>,
                          fix_add_a_channel_axis_e_g_Shape_H_W_1>);
  static_assert(
      require_v<(pool::height > 0 && pool::width > 0 && stride::height > 0 && stride::width > 0),
                at_layer<Position, Spec>, stride_must_be_positive>);
  static constexpr WindowGeometry g =
      make_window_geometry(In::dims[0], In::dims[1], In::dims[2], pool::height, pool::width,
                           stride::height, stride::width, padding::padding);
  static_assert(require_v<(g.out_h > 0 && g.out_w > 0), at_layer<Position, Spec>,
                          window_larger_than_its_padded_input<pool, In>>);
  using output_shape = Shape<g.out_h, g.out_w, In::dims[2]>;

  static std::string kind(const char* name) {
    std::string k = std::string(name) + "<" + pair_string("Pool", pool::height, pool::width);
    if (stride::height != pool::height || stride::width != pool::width)
      k += ", " + pair_string("Stride", stride::height, stride::width);
    if (padding::padding == Padding::same) k += ", Same";
    return k + ">";
  }
};

}  // namespace tensorguard::detail
