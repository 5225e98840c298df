// IDX files (the MNIST format), plain or gzip-compressed: zlib's gzread reads both.
#pragma once
#include <zlib.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "../core/shape.hpp"
#include "labels.hpp"

namespace tensorguard::data {

struct IdxArray {
  std::vector<std::size_t> dims;  // first: the number of items
  std::vector<std::uint8_t> values;
};

// Reads an unsigned-byte IDX file (type code 0x08), the only type MNIST-like data uses.
inline IdxArray read_idx(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file) throw std::runtime_error("read_idx: cannot open '" + path + "'");
  struct Closer {
    gzFile f;
    ~Closer() { gzclose(f); }
  } closer{file};
  auto read_exact = [&](void* dst, std::size_t n) {
    auto* p = static_cast<unsigned char*>(dst);
    while (n > 0) {
      const unsigned chunk = unsigned(std::min<std::size_t>(n, 1u << 30));
      const int got = gzread(file, p, chunk);
      if (got <= 0) throw std::runtime_error("read_idx: '" + path + "' is truncated or corrupt");
      p += got;
      n -= std::size_t(got);
    }
  };
  unsigned char magic[4];
  read_exact(magic, 4);
  if (magic[0] != 0 || magic[1] != 0)
    throw std::runtime_error("read_idx: '" + path + "' is not an IDX file (bad magic number)");
  if (magic[2] != 0x08)
    throw std::runtime_error("read_idx: '" + path + "' holds type code " +
                             std::to_string(magic[2]) + "; only unsigned bytes (8) are supported");
  IdxArray out;
  std::size_t total = 1;
  for (int d = 0; d < magic[3]; ++d) {
    unsigned char b[4];
    read_exact(b, 4);
    out.dims.push_back(std::size_t(b[0]) << 24 | std::size_t(b[1]) << 16 | std::size_t(b[2]) << 8 |
                       std::size_t(b[3]));
    total *= out.dims.back();
  }
  out.values.resize(total);
  read_exact(out.values.data(), total);
  return out;
}

inline std::string idx_dims_string(const std::vector<std::size_t>& dims) {
  std::string s;
  for (std::size_t i = 1; i < dims.size(); ++i) s += (i > 1 ? " x " : "") + std::to_string(dims[i]);
  return dims.size() > 1 ? s : "scalars";
}

// Images as samples of S (a trailing channel axis of 1 may be absent in the file), each byte
// multiplied by `scale` (1/255 maps pixels to [0, 1]; 1 keeps raw 0-255 values).
template <class S, class T = float>
std::vector<T> read_idx_samples(const std::string& path, double scale) {
  IdxArray a = read_idx(path);
  std::size_t per_item = 1;
  for (std::size_t i = 1; i < a.dims.size(); ++i) per_item *= a.dims[i];
  // Same dimensions, or the same count read into a rank-1 (flattened) shape.
  bool match = per_item == S::size;
  for (std::size_t i = 1; match && S::rank > 1 && i < a.dims.size(); ++i)
    match = i - 1 < S::rank && a.dims[i] == S::dims[i - 1];
  if (!match)
    throw std::runtime_error("read_idx: '" + path + "' holds items of " + idx_dims_string(a.dims) +
                             " but the dataset's input is " + S::to_string() +
                             "; declare Input<Shape<...>> to match the file");
  std::vector<T> out(a.values.size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = T(double(a.values[i]) * scale);
  return out;
}

template <class Labels>
std::vector<std::int32_t> read_idx_class_labels(const std::string& path) {
  static_assert(Labels::kind == LabelKind::class_index,
                "read_idx_class_labels needs ClassIndex<K>");
  IdxArray a = read_idx(path);
  if (a.dims.size() != 1)
    throw std::runtime_error("read_idx: '" + path + "' holds items of " + idx_dims_string(a.dims) +
                             ", not one class label per item");
  return {a.values.begin(), a.values.end()};
}

}  // namespace tensorguard::data
