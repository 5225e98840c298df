// Datasets of uniform random inputs in [0, 1) with uniform random class labels, for tests that
// need data of a given shape rather than data with a pattern.
#pragma once
#include <cstdint>
#include <span>
#include <tensorguard/tensorguard.hpp>
#include <vector>

namespace testing {

template <class S, std::size_t Classes>
tensorguard::Dataset<S, tensorguard::ClassIndex<Classes>> random_dataset(std::size_t n,
                                                                         std::uint64_t seed) {
  tensorguard::Dataset<S, tensorguard::ClassIndex<Classes>> data;
  tensorguard::Rng rng(seed);
  std::vector<float> sample(S::size);
  for (std::size_t i = 0; i < n; ++i) {
    for (auto& v : sample) v = float(rng.uniform());
    const auto k = std::int32_t(rng.below(Classes));
    data.push_back(sample, std::span<const std::int32_t>(&k, 1));
  }
  return data;
}

}  // namespace testing
