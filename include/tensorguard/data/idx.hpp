// IDX files (the MNIST format), plain or gzip-compressed: zlib's gzread reads both.
//
// The header is not trusted. Its dimensions must be non-zero and their product at most
// idx_max_values; memory grows only as data actually arrives (a plain file is also measured
// against its size before anything is allocated), so a header that lies costs at most one chunk.
// A file must hold exactly the bytes its header claims: missing or trailing bytes are errors.
#pragma once
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "../core/shape.hpp"
#include "../detail/config.hpp"
#include "labels.hpp"

namespace tensorguard::data {

struct IdxArray {
  std::vector<std::size_t> dims;     // first: the number of items; every one > 0
  std::vector<std::uint8_t> values;  // the product of dims, row-major
};

// The most values (bytes) an IDX file may declare: 2^32, 4 GiB. A header that claims more is
// refused before anything else is read. Fashion-MNIST's largest file holds 47,040,000.
inline constexpr std::uint64_t idx_max_values = std::uint64_t(1) << 32;

namespace detail {

// Data is read in chunks that start at 1 MiB and double up to 16 MiB.
inline constexpr std::size_t idx_first_chunk = std::size_t(1) << 20;
inline constexpr std::size_t idx_max_chunk = std::size_t(16) << 20;
// Trailing bytes after a gzip stream's data are counted up to this many.
inline constexpr std::size_t idx_max_trailing_count = std::size_t(16) << 20;

inline std::string idx_join_dims(const std::vector<std::size_t>& dims) {
  std::string s;
  for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? " x " : "") + std::to_string(dims[i]);
  return s;
}

// Bytes in memory. read(dst, n) stores up to n bytes and returns how many: fewer only at the end.
struct IdxMemorySource {
  std::span<const unsigned char> bytes;
  std::size_t pos = 0;
  std::size_t read(unsigned char* dst, std::size_t n) {
    n = std::min(n, bytes.size() - pos);
    std::copy_n(bytes.data() + pos, n, dst);
    pos += n;
    return n;
  }
  std::optional<std::uint64_t> remaining() const { return bytes.size() - pos; }
  std::string error() const { return {}; }
};

// A file through zlib: decompressed if it is gzip, copied as is otherwise. After a short read,
// error() says why when the stream failed ("" at a clean end of file).
struct IdxGzipSource {
  gzFile file;
  const std::string& path;
  std::optional<std::uint64_t> file_size;  // of a regular file
  std::uint64_t consumed = 0;
  std::string error_ = {};

  std::size_t read(unsigned char* dst, std::size_t n) {
    std::size_t total = 0;
    while (total < n && error_.empty()) {
      const auto want = unsigned(std::min<std::size_t>(n - total, std::size_t(1) << 30));
      const int got = gzread(file, dst + total, want);
      if (got > 0) total += std::size_t(got);
      if (got < int(want)) {
        int code = Z_OK;
        std::string message = gzerror(file, &code);
        // zlib prefixes its messages with the path given to gzopen.
        if (message.starts_with(path + ": ")) message.erase(0, path.size() + 2);
        const std::string zlib = " (zlib: " + message + ")";
        if (code == Z_BUF_ERROR)
          error_ = "the gzip stream ends early" + zlib;
        else if (code == Z_DATA_ERROR)
          error_ = "the gzip stream is corrupt" + zlib;
        else if (code == Z_ERRNO)
          error_ = "reading failed" + zlib;
        else if (code != Z_OK)
          error_ = "zlib error " + std::to_string(code) + zlib;
        else if (got < 0)
          error_ = "reading failed (zlib)";
        break;
      }
    }
    consumed += total;
    return total;
  }
  // Known for an uncompressed regular file only; valid once the header has been read.
  std::optional<std::uint64_t> remaining() const {
    if (!file_size || !gzdirect(file)) return std::nullopt;
    return *file_size > consumed ? *file_size - consumed : 0;
  }
  const std::string& error() const { return error_; }
};

template <class Source>
IdxArray parse_idx_from(Source& src, const std::string& name) {
  auto fail = [&](const std::string& what) {
    return std::runtime_error("read_idx: '" + name + "' " + what);
  };
  auto because = [&] { return src.error().empty() ? std::string() : "; " + src.error(); };
  unsigned char magic[4];
  if (const std::size_t got = src.read(magic, 4); got < 4)
    throw fail(src.error().empty() ? "is truncated: it ends after " + std::to_string(got) +
                                         " bytes, before the end of the 4-byte magic number"
                                   : "is unreadable: " + src.error() + ", after " +
                                         std::to_string(got) + " bytes of the 4-byte magic number");
  if (magic[0] != 0 || magic[1] != 0) {
    const char* hex = "0123456789abcdef";
    std::string found;
    for (unsigned char b : magic) found += {' ', hex[b >> 4], hex[b & 15]};
    throw fail("is not an IDX file (bad magic number:" + found + ", expected 00 00 08 <rank>)");
  }
  if (magic[2] != 0x08)
    throw fail("holds type code " + std::to_string(magic[2]) +
               "; only unsigned bytes (8) are supported");
  const std::size_t rank = magic[3];
  if (rank == 0)
    throw fail("declares rank 0 (no dimensions); an IDX file needs at least the number of items");
  unsigned char header[4 * 255];
  if (const std::size_t got = src.read(header, 4 * rank); got < 4 * rank)
    throw fail("is truncated in its header: it declares " + std::to_string(rank) +
               " dimensions (a " + std::to_string(4 + 4 * rank) + "-byte header) but ends after " +
               std::to_string(4 + got) + " bytes" + because());
  IdxArray out;
  for (std::size_t d = 0; d < rank; ++d) {
    const unsigned char* b = header + 4 * d;
    out.dims.push_back(std::size_t(b[0]) << 24 | std::size_t(b[1]) << 16 | std::size_t(b[2]) << 8 |
                       std::size_t(b[3]));
  }
  const std::string dims = "dims " + idx_join_dims(out.dims);
  if (out.dims[0] == 0) throw fail("holds zero items (header: " + dims + ")");
  std::uint64_t total = 1;
  for (std::size_t d = 0; d < rank; ++d) {
    if (out.dims[d] == 0)
      throw fail("has dimension " + std::to_string(d) + " of size 0 (header: " + dims + ")");
    if (total > idx_max_values / out.dims[d])
      throw fail("declares " + dims + ", whose product exceeds the limit of " +
                 std::to_string(idx_max_values) + " values (data::idx_max_values)");
    total *= out.dims[d];
  }
  const std::string claim = "declares " + dims + " (" + std::to_string(total) + " bytes of data)";
  auto mismatch = [&](std::uint64_t found) {
    return fail(claim + " but " + (found < total ? "only " : "") + std::to_string(found) +
                " bytes follow the header" +
                (found > total ? " (" + std::to_string(found - total) + " trailing bytes)" : "") +
                because());
  };
  // Known size (memory, an uncompressed file): checked before anything is allocated.
  if (const auto remaining = src.remaining(); remaining && *remaining != total)
    throw mismatch(*remaining);
  // Otherwise the vector grows as data arrives: geometrically, never beyond the claimed total.
  const auto n = std::size_t(total);
  if (src.remaining()) out.values.reserve(n);
  std::size_t chunk = idx_first_chunk;
  while (out.values.size() < n) {
    const std::size_t old = out.values.size(), want = std::min(chunk, n - old);
    if (old + want > out.values.capacity())
      out.values.reserve(std::min(n, std::max(old + want, 2 * out.values.capacity())));
    out.values.resize(old + want);
    const std::size_t got = src.read(out.values.data() + old, want);
    if (got < want) throw mismatch(old + got);
    chunk = std::min(2 * chunk, idx_max_chunk);
  }
  // Nothing may follow the data (this also lets zlib verify the gzip stream's checksum).
  std::size_t trailing = 0;
  unsigned char sink[4096];
  while (trailing < idx_max_trailing_count) {
    const std::size_t got = src.read(sink, sizeof sink);
    trailing += got;
    if (got < sizeof sink) break;
  }
  if (trailing > 0)
    throw fail(claim + " but " + (trailing >= idx_max_trailing_count ? "at least " : "") +
               std::to_string(trailing) + " trailing bytes follow the data" + because());
  if (!src.error().empty()) throw fail(claim + " but after the data " + src.error());
  return out;
}

#if defined(TG_SEPARATE_COMPILATION)
TG_EXTERN_TEMPLATE IdxArray parse_idx_from<IdxGzipSource>(IdxGzipSource&, const std::string&);
TG_EXTERN_TEMPLATE IdxArray parse_idx_from<IdxMemorySource>(IdxMemorySource&, const std::string&);
#endif

}  // namespace detail

// Reads an unsigned-byte IDX file (type code 0x08), the only type MNIST-like data uses: plain,
// or gzip-compressed. Throws std::runtime_error naming the path on any malformed input.
#if TG_HEADER_DEFINITIONS
TG_OUT_OF_LINE IdxArray read_idx(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file) throw std::runtime_error("read_idx: cannot open '" + path + "'");
  struct Closer {
    gzFile f;
    ~Closer() { gzclose(f); }
  } closer{file};
  gzbuffer(file, 1u << 17);
  detail::IdxGzipSource src{file, path, std::nullopt};
  std::error_code ec;
  if (std::filesystem::is_regular_file(path, ec)) {
    const auto size = std::filesystem::file_size(path, ec);
    if (!ec) src.file_size = size;
  }
  return detail::parse_idx_from(src, path);
}
#else
IdxArray read_idx(const std::string& path);
#endif

// The same from bytes in memory (an uncompressed IDX file); `name` appears in error messages.
#if TG_HEADER_DEFINITIONS
TG_OUT_OF_LINE IdxArray parse_idx(std::span<const unsigned char> bytes,
                                  const std::string& name = "<memory>") {
  detail::IdxMemorySource src{bytes, 0};
  return detail::parse_idx_from(src, name);
}
#else
IdxArray parse_idx(std::span<const unsigned char> bytes, const std::string& name = "<memory>");
#endif

#if TG_HEADER_DEFINITIONS
TG_OUT_OF_LINE std::string idx_dims_string(const std::vector<std::size_t>& dims) {
  std::string s;
  for (std::size_t i = 1; i < dims.size(); ++i) s += (i > 1 ? " x " : "") + std::to_string(dims[i]);
  return dims.size() > 1 ? s : "scalars";
}
#else
std::string idx_dims_string(const std::vector<std::size_t>& dims);
#endif

// Images as samples of S (a trailing channel axis of 1 may be absent in the file), each byte
// multiplied by `scale` (1/255 maps pixels to [0, 1]; 1 keeps raw 0-255 values).
template <class S, class T = float>
std::vector<T> read_idx_samples(const std::string& path, double scale) {
  IdxArray a = read_idx(path);
  std::size_t per_item = 1;  // cannot overflow: read_idx bounds the product of all dims
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
