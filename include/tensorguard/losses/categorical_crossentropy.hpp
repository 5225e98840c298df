#pragma once
#include <cmath>

#include "loss.hpp"

namespace tensorguard::loss {

namespace detail {
// log-sum-exp of z[0..w) and the shift used, so softmax(z)_i = exp(z_i - lse).
template <class T>
TG_HOST_DEVICE T log_sum_exp(const T* z, std::size_t w) {
  using std::exp;
  using std::log;
  T top = z[0];
  for (std::size_t i = 1; i < w; ++i) top = z[i] > top ? z[i] : top;
  T sum = 0;
  for (std::size_t i = 0; i < w; ++i) sum += exp(z[i] - top);
  return top + log(sum);
}
}  // namespace detail

// -sum t log p over one-hot (or soft) targets; p are Softmax probabilities.
struct CategoricalCrossentropy {
  static constexpr const char* name = "CategoricalCrossentropy";
  static constexpr Family family = Family::categorical;
  template <class T, class L>
  TG_HOST_DEVICE static T sample(const T* y, const L* t, T* dy, std::size_t w, T scale) {
    using std::log;
    T sum = 0;
    for (std::size_t i = 0; i < w; ++i) {
      const T p = detail::clip_probability(y[i]);
      sum -= T(t[i]) * log(p);
      if (dy) dy[i] = p != y[i] ? T(0) : -scale * T(t[i]) / p;
    }
    return sum;
  }
};

// From logits: lse(z) sum(t) - sum t z; gradient softmax(z) sum(t) - t.
template <>
struct FromLogits<CategoricalCrossentropy> {
  static constexpr const char* name = "FromLogits<CategoricalCrossentropy>";
  static constexpr Family family = Family::categorical;
  template <class T, class L>
  TG_HOST_DEVICE static T sample(const T* z, const L* t, T* dy, std::size_t w, T scale) {
    using std::exp;
    const T lse = detail::log_sum_exp(z, w);
    T mass = 0, dot = 0;
    for (std::size_t i = 0; i < w; ++i) {
      mass += T(t[i]);
      dot += T(t[i]) * z[i];
    }
    if (dy)
      for (std::size_t i = 0; i < w; ++i) dy[i] = scale * (exp(z[i] - lse) * mass - T(t[i]));
    return lse * mass - dot;
  }
};

}  // namespace tensorguard::loss
