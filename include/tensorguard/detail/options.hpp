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

// The second option that Is<> accepts (void if fewer than two).
template <template <class> class Is, class... Options>
struct second_option {
  using type = void;
};
template <template <class> class Is, class First, class... Rest>
struct second_option<Is, First, Rest...>
    : std::conditional_t<Is<First>::value, find_option<Is, void, Rest...>,
                         second_option<Is, Rest...>> {};
template <template <class> class Is, class... Options>
using second_option_t = typename second_option<Is, Options...>::type;

template <template <class> class Is, class... Options>
inline constexpr int count_options = (0 + ... + int(Is<Options>::value));

}  // namespace tensorguard::detail
