// Compile-time model errors. A failed check instantiates the undefined model_error<Facts...>,
// so the compiler's first error line prints the facts as types: the layer's position and kind,
// the rule, the shapes involved and the fix, e.g.
//   incomplete type 'tensorguard::model_error<tensorguard::at_layer<4, tensorguard::Dense<10>>,
//   tensorguard::needs_rank_1_input_but_gets<tensorguard::Shape<13, 13, 32>>, ...>'
#pragma once
#include <cstddef>

namespace tensorguard {

template <class... Facts>
struct model_error;  // never defined: naming it is the error

template <bool Ok, class... Facts>
struct require {
  static constexpr bool value = true;
};
template <class... Facts>
struct require<false, Facts...> : model_error<Facts...> {};

template <bool Ok, class... Facts>
inline constexpr bool require_v = require<Ok, Facts...>::value;

// Where a check failed: position (Input is layer 1) and the layer as the user wrote it.
template <std::size_t Position, class Layer>
struct at_layer;

}  // namespace tensorguard
