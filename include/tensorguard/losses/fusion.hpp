// A probability loss after the activation that produces those probabilities is computed from
// the layer's pre-activations instead (softmax + cross-entropy fused, as Keras does): stable
// for any logits, and its gradient p - t is exact.
#pragma once
#include <type_traits>

#include "../activations/sigmoid.hpp"
#include "../activations/softmax.hpp"
#include "binary_crossentropy.hpp"
#include "categorical_crossentropy.hpp"
#include "sparse_categorical_crossentropy.hpp"

namespace tensorguard::loss {

template <class Loss, class OutputActivation>
inline constexpr bool fuses_with = (std::is_same_v<OutputActivation, Softmax> &&
                                    (std::is_same_v<Loss, CategoricalCrossentropy> ||
                                     std::is_same_v<Loss, SparseCategoricalCrossentropy>)) ||
                                   (std::is_same_v<OutputActivation, Sigmoid> &&
                                    std::is_same_v<Loss, BinaryCrossentropy>);

}  // namespace tensorguard::loss
