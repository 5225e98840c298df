// A 64-bit hash of one row of values: how datasets, scalers and the data guards recognise the
// same row again (an exact copy) without keeping the row.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace tensorguard::detail {

// Every byte counts (hashes are also used alone, without a full comparison). Four independent
// lanes each mix one 8-byte word of every 32 bytes (multiply-xorshift), so the multiplies overlap
// instead of waiting on each other: every row of a dataset can be hashed each time it enters fit.
inline std::uint64_t hash_bytes(const void* data, std::size_t bytes) {
  const auto* p = static_cast<const unsigned char*>(data);
  auto mix = [](std::uint64_t h, std::uint64_t w) {
    h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
    return h ^ (h >> 31);
  };
  auto word = [&](std::size_t at) {
    std::uint64_t w;
    std::memcpy(&w, p + at, 8);
    return w;
  };
  std::uint64_t h[4] = {0x9e3779b97f4a7c15ull ^ bytes, 0x94d049bb133111ebull, 0xd6e8feb86659fd93ull,
                        0xa0761d6478bd642full};
  std::size_t k = 0;
  for (; k + 32 <= bytes; k += 32)
    for (std::size_t lane = 0; lane < 4; ++lane) h[lane] = mix(h[lane], word(k + 8 * lane));
  for (; k + 8 <= bytes; k += 8) h[0] = mix(h[0], word(k));
  for (; k < bytes; ++k) h[1] = (h[1] ^ p[k]) * 0x100000001b3ull;
  std::uint64_t out = h[0];
  for (std::size_t lane = 1; lane < 4; ++lane) out = mix(out, h[lane]);
  return out ^ (out >> 29);
}

template <class T>
std::uint64_t hash_row(const T* row, std::size_t count) {
  return hash_bytes(row, count * sizeof(T));
}

}  // namespace tensorguard::detail
