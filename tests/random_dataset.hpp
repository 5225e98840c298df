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

// Backend-neutral access for tests that run on Cpu and on CheckedDevice (the device build).
template <class Model, class Edit>
void edit_weights(Model& model, Edit edit) {
  auto w = model.get_weights();
  edit(w);
  model.set_weights(w);
}
template <class Model>
void set_threads(Model& model, unsigned threads) {
  if constexpr (requires { model.backend().set_threads(threads); })
    model.backend().set_threads(threads);
}
// A host copy of an array the model keeps in its backend's memory (optimizer moments).
template <class Model, class Buffer>
auto download(Model& model, const Buffer& buffer) {
  std::vector<typename Model::scalar> out(buffer.size());
  model.backend().download(buffer.data(), out.data(), buffer.size());
  return out;
}

}  // namespace testing
