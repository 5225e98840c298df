// Rng: xoshiro256** with our own uniform and normal transforms, so that a seed gives
// bit-identical weights on every standard library (std:: distributions are not portable).
#pragma once
#include <cmath>
#include <cstdint>

#include "../detail/config.hpp"

namespace tensorguard {

class Rng {
 public:
  explicit Rng(std::uint64_t seed = 0x7e45'0f6au) { reseed(seed); }

  void reseed(std::uint64_t seed) {
    for (auto& word : state_) word = splitmix(seed);
    has_spare_ = false;
  }

  // The whole generator state, for checkpoints: restoring it continues the same sequence.
  struct State {
    std::uint64_t words[4];
    double spare;
    bool has_spare;
  };
  State state() const { return {{state_[0], state_[1], state_[2], state_[3]}, spare_, has_spare_}; }
  void set_state(const State& s) {
    for (int i = 0; i < 4; ++i) state_[i] = s.words[i];
    spare_ = s.spare;
    has_spare_ = s.has_spare;
  }

  std::uint64_t next() {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }

  // Uniform integer in [0, n) without modulo bias worth caring about for n < 2^32.
  std::uint64_t below(std::uint64_t n) {
    __extension__ using u128 = unsigned __int128;  // Lemire's multiply-shift
    return static_cast<std::uint64_t>((static_cast<u128>(next()) * n) >> 64);
  }

  // Standard normal (Marsaglia polar method).
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u, v, s;
    do {
      u = uniform(-1.0, 1.0);
      v = uniform(-1.0, 1.0);
      s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    const double m = std::sqrt(-2.0 * std::log(s) / s);
    spare_ = v * m;
    has_spare_ = true;
    return u * m;
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static std::uint64_t splitmix(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  std::uint64_t state_[4]{};
  double spare_ = 0;
  bool has_spare_ = false;
};

// A counter-based draw: uniform in [0, 1) from (seed, index) alone, SplitMix64 of the index in
// the seed's stream. Any backend computes the same value for the same unit, in any order.
TG_HOST_DEVICE inline std::uint64_t counter_bits(std::uint64_t seed, std::uint64_t index) {
  std::uint64_t z = seed + (index + 1) * 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
TG_HOST_DEVICE inline double counter_uniform(std::uint64_t seed, std::uint64_t index) {
  return static_cast<double>(counter_bits(seed, index) >> 11) * 0x1.0p-53;
}

// The generator of a random layer (Dropout): a seed and how many draws it has used. Its state
// travels in checkpoints as an Rng::State (words 0 and 1).
struct CounterStream {
  std::uint64_t seed = 0, offset = 0;
  // The first of n consecutive draws.
  std::uint64_t take(std::uint64_t n) {
    const std::uint64_t first = offset;
    offset += n;
    return first;
  }
  Rng::State state() const { return {{seed, offset, 0, 0}, 0.0, false}; }
  void set_state(const Rng::State& s) {
    seed = s.words[0];
    offset = s.words[1];
  }
};

// Fisher-Yates with our generator: the same seed gives the same order everywhere.
template <class It>
void shuffle(It first, It last, Rng& rng) {
  for (auto n = last - first; n > 1; --n) {
    auto j = static_cast<decltype(n)>(rng.below(static_cast<std::uint64_t>(n)));
    using std::swap;
    swap(first[n - 1], first[j]);
  }
}

}  // namespace tensorguard
