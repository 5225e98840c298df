// Compile-time model errors. Every check returns a verdict: `passed`, or model_error<Facts...>
// naming the layer's position and kind, the rule, the shapes involved and the fix. One place
// (the model, where it is first used) reports a failed verdict by naming a member only `passed`
// has, so the compiler's first error line prints every fact, e.g.
//   no type named 'model_is_valid' in 'tensorguard::detail::report<tensorguard::model_error<
//   tensorguard::at_layer<4, tensorguard::Dense<10>>, tensorguard::needs_rank_1_input_but_gets<
//   tensorguard::Shape<13, 13, 32>>, tensorguard::fix_insert_Flatten_before_it>>'
// Checks run before any layer is built, so a mistake gives one error, not a cascade.
#pragma once
#include <cstddef>
#include <type_traits>

#include "require_cxx20.hpp"

namespace tensorguard {

// The facts of a mistake. It lacks the member `model_is_valid` that `passed` has: the check
// `typename Verdict::model_is_valid` fails with the facts in the first error line, and no
// "declared here" note follows (an undefined template would add one, 3 lines on clang).
template <class... Facts>
struct model_error {};

// Where a check failed: position (Input is layer 1) and the layer as the user wrote it.
template <std::size_t Position, class Layer>
struct at_layer;
// Inside a merge: branch number (from 1), then the position inside that branch.
template <std::size_t Branch>
struct in_branch;

namespace detail {

struct passed {
  using model_is_valid = passed;
};

template <class... Facts>
inline constexpr std::type_identity<model_error<Facts...>> fail{};
inline constexpr std::type_identity<passed> pass{};

// Where a verdict is reported: static_assert(sizeof(typename report<Verdict>::model_is_valid)).
// A class, not an alias: g++ would print an alias's spelling and then the facts a second time.
template <class Verdict>
struct report : Verdict {};

template <class Verdict>
inline constexpr bool is_passed = std::is_same_v<Verdict, passed>;

// The verdict a consteval check function returns.
template <auto Check>
using verdict_of = typename std::remove_cvref_t<decltype(Check)>::type;  // (nvcc: no reference)

// Prepends facts to a failed verdict (a branch's error gets its merge's position in front).
template <class Verdict, class... Prefix>
struct prefixed {
  using type = Verdict;
};
template <class... Facts, class... Prefix>
struct prefixed<model_error<Facts...>, Prefix...> {
  using type = model_error<Prefix..., Facts...>;
};
template <class Verdict, class... Prefix>
using prefixed_t = typename prefixed<Verdict, Prefix...>::type;

// The first failed verdict of several (all passed: passed).
template <class... Verdicts>
struct first_failure {
  using type = passed;
};
template <class V, class... Rest>
struct first_failure<V, Rest...> {
  using type = std::conditional_t<is_passed<V>, typename first_failure<Rest...>::type, V>;
};

}  // namespace detail
}  // namespace tensorguard
