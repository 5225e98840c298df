// Label kinds: what a dataset's targets are. Each says how it is stored per sample (value type
// and width), and when a prediction counts as correct for the accuracy metric.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "../core/shape.hpp"

namespace tensorguard {

namespace detail {
template <class T>
std::size_t argmax(const T* v, std::size_t n) {
  std::size_t best = 0;
  for (std::size_t i = 1; i < n; ++i)
    if (v[i] > v[best]) best = i;
  return best;
}
}  // namespace detail

enum class LabelKind { class_index, one_hot, binary, multi_hot, probability, real };

// One integer class in [0, K) per sample.
template <std::size_t K>
struct ClassIndex {
  static constexpr LabelKind kind = LabelKind::class_index;
  static constexpr std::size_t classes = K, width = 1;
  template <class T>
  using value_type = std::int32_t;
  static std::string name() { return "ClassIndex<" + std::to_string(K) + ">"; }
  template <class T>
  static bool correct(const T* y, const std::int32_t* label, std::size_t outputs, T) {
    return std::int32_t(detail::argmax(y, outputs)) == *label;
  }
};

// K values per sample, one of them 1.
template <std::size_t K>
struct OneHot {
  static constexpr LabelKind kind = LabelKind::one_hot;
  static constexpr std::size_t classes = K, width = K;
  template <class T>
  using value_type = T;
  static std::string name() { return "OneHot<" + std::to_string(K) + ">"; }
  template <class T>
  static bool correct(const T* y, const T* label, std::size_t outputs, T) {
    return detail::argmax(y, outputs) == detail::argmax(label, outputs);
  }
};

// One 0/1 value per sample. A prediction is positive above the threshold (0.5 for
// probabilities, 0 for logits).
struct Binary {
  static constexpr LabelKind kind = LabelKind::binary;
  static constexpr std::size_t classes = 2, width = 1;
  template <class T>
  using value_type = T;
  static std::string name() { return "Binary"; }
  template <class T>
  static bool correct(const T* y, const T* label, std::size_t, T threshold) {
    return (*y > threshold) == (*label > T(0.5));
  }
};

namespace detail {
// The fraction of outputs on the same side of the threshold as their 0/1 (or [0, 1]) target.
template <class T>
double outputs_on_the_target_side(const T* y, const T* label, std::size_t width, T threshold) {
  std::size_t agree = 0;
  for (std::size_t i = 0; i < width; ++i) agree += (y[i] > threshold) == (label[i] > T(0.5));
  return double(agree) / double(width);
}
}  // namespace detail

// K independent 0/1 targets per sample (multi-label: an image may hold a cat and a dog), for
// BinaryCrossentropy after Dense<K, Sigmoid>. Accuracy is the fraction of outputs on the right
// side of the threshold (Keras's binary_accuracy).
template <std::size_t K>
struct MultiHot {
  static constexpr LabelKind kind = LabelKind::multi_hot;
  static constexpr std::size_t classes = K, width = K;
  template <class T>
  using value_type = T;
  static std::string name() { return "MultiHot<" + std::to_string(K) + ">"; }
  template <class T>
  static double correct(const T* y, const T* label, std::size_t outputs, T threshold) {
    return detail::outputs_on_the_target_side(y, label, outputs, threshold);
  }
};

// Real targets of the given shape that lie in [0, 1]: pixel intensities an autoencoder
// reconstructs, or soft class probabilities. BinaryCrossentropy (after Sigmoid),
// CategoricalCrossentropy (soft labels, after Softmax) and the regression losses take them.
// Accuracy: as MultiHot, each target counted on its side of 0.5.
template <class S>
struct Probability {
  static_assert(is_shape<S>, "Probability<S>: S must be a Shape<...>");
  static constexpr LabelKind kind = LabelKind::probability;
  static constexpr std::size_t classes = 0, width = S::size;
  using shape = S;
  template <class T>
  using value_type = T;
  static std::string name() { return "Probability<" + S::to_string() + ">"; }
  template <class T>
  static double correct(const T* y, const T* label, std::size_t outputs, T threshold) {
    return detail::outputs_on_the_target_side(y, label, outputs, threshold);
  }
};

// Real-valued targets of the given shape (regression).
template <class S>
struct Real {
  static_assert(is_shape<S>, "Real<S>: S must be a Shape<...>");
  static constexpr LabelKind kind = LabelKind::real;
  static constexpr std::size_t classes = 0, width = S::size;
  using shape = S;
  template <class T>
  using value_type = T;
  static std::string name() { return "Real<" + S::to_string() + ">"; }
  template <class T>
  static bool correct(const T*, const T*, std::size_t, T) {
    return false;
  }
};

template <class L>
concept LabelType = requires {
  { L::kind } -> std::convertible_to<LabelKind>;
  { L::width } -> std::convertible_to<std::size_t>;
};

}  // namespace tensorguard
