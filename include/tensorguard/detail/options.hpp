// Layer options are given in any order (Conv2D<32, Kernel<3>, ReLU, Stride<2>, Same>):
// each is found by what kind of thing it is, with a default when absent.
#pragma once
#include <type_traits>

namespace tensorguard::detail {

template <template <class> class Is, class Default, class... Options>
struct find_option {
  using type = Default;
};
template <template <class> class Is, class Default, class First, class... Rest>
struct find_option<Is, Default, First, Rest...>
    : std::conditional_t<Is<First>::value, std::type_identity<First>,
                         find_option<Is, Default, Rest...>> {};

template <template <class> class Is, class Default, class... Options>
using find_option_t = typename find_option<Is, Default, Options...>::type;

template <template <class> class Is, class... Options>
inline constexpr int count_options = (0 + ... + int(Is<Options>::value));

}  // namespace tensorguard::detail
