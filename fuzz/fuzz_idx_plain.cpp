// libFuzzer harness: data::parse_idx on arbitrary bytes (an uncompressed IDX file in memory).
//
// Invariants: the only exception is std::runtime_error, and its message names the input; on
// success the rank is at least 1, every dimension is > 0, the values are exactly the product of
// the dimensions (at most data::idx_max_values), the input is exactly header + values, and the
// values are the bytes after the header.
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <tensorguard/data/idx.hpp>

#include "fuzz_check.hpp"

namespace data = tensorguard::data;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::span<const unsigned char> input(bytes, size);
  const std::string name = "fuzz.idx";
  data::IdxArray a;
  try {
    a = data::parse_idx(input, name);
  } catch (const std::runtime_error& e) {
    TG_FUZZ_CHECK(tg_fuzz::starts_with(e.what(), "read_idx: '" + name + "' "),
                  "message does not name the input: %s", e.what());
    return 0;
  }
  TG_FUZZ_CHECK(!a.dims.empty() && a.dims.size() <= 255, "rank %zu", a.dims.size());
  std::uint64_t product = 1;
  for (std::size_t d : a.dims) {
    TG_FUZZ_CHECK(d > 0 && d <= 0xFFFFFFFFu, "dimension %zu", d);
    product *= d;
    TG_FUZZ_CHECK(product <= data::idx_max_values, "product %llu over the limit",
                  static_cast<unsigned long long>(product));
  }
  TG_FUZZ_CHECK(a.values.size() == product, "%zu values for a product of %llu", a.values.size(),
                static_cast<unsigned long long>(product));
  const std::size_t header = 4 + 4 * a.dims.size();
  TG_FUZZ_CHECK(size == header + a.values.size(), "input of %zu bytes, header %zu + data %zu", size,
                header, a.values.size());
  for (std::size_t i = 0; i < a.values.size(); ++i)
    TG_FUZZ_CHECK(a.values[i] == bytes[header + i], "value %zu differs from the input", i);
  return 0;
}
