// What every loss shares. A loss is a type with a name, a family (what labels it takes) and a
// per-sample function sample(y, label, dy, width, scale) -> loss, which also writes
// scale * d(loss)/dy into dy when dy is not null. Backends loop it over the batch.
#pragma once
#include <cmath>
#include <cstddef>

#include "../detail/config.hpp"

namespace tensorguard::loss {

enum class Family { regression, binary, categorical, sparse_categorical };

// Keras clips probabilities to [eps, 1 - eps] before taking logs.
inline constexpr double probability_epsilon = 1e-7;

// The same loss computed from pre-activation logits (numerically stable):
// FromLogits<SparseCategoricalCrossentropy> after a Linear output layer.
template <class Loss>
struct FromLogits;

template <class L>
inline constexpr bool is_from_logits = false;
template <class L>
inline constexpr bool is_from_logits<FromLogits<L>> = true;

namespace detail {
template <class T>
TG_HOST_DEVICE T clip_probability(T p) {
  const T eps = T(probability_epsilon);
  return p < eps ? eps : (p > T(1) - eps ? T(1) - eps : p);
}
// log(1 + e^z) without overflow.
template <class T>
TG_HOST_DEVICE T softplus(T z) {
  using std::exp;
  using std::log1p;
  return z > T(0) ? z + log1p(exp(-z)) : log1p(exp(z));
}
}  // namespace detail

}  // namespace tensorguard::loss
