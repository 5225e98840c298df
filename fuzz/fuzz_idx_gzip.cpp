// libFuzzer harness: data::read_idx on a file (in memory: a memfd opened by its /proc path), so
// zlib's gzip path runs, and compares it with data::parse_idx.
//
// The first input byte picks how the rest becomes the file:
//   0: as is (a gzip file, or plain bytes zlib copies through);
//   1: gzip-compressed by the harness (a valid stream of arbitrary IDX bytes);
//   2: compressed, then cut at the position in bytes 1-2 (a truncated stream);
//   3: compressed, then byte 3 XORed into the position in bytes 1-2 (a corrupt stream).
// Invariants: the only exception is std::runtime_error, naming the path; on success, rank >= 1,
// every dimension > 0, values == product of dimensions. Plain input (mode 0 without the gzip
// magic) gives exactly parse_idx's result or error message; a valid gzip stream (mode 1) succeeds
// exactly when parse_idx succeeds on the uncompressed bytes, with the same array.
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <tensorguard/data/idx.hpp>
#include <vector>

#include "fuzz_check.hpp"

namespace data = tensorguard::data;

namespace {

std::vector<unsigned char> gzip(std::span<const unsigned char> in, int level) {
  z_stream s{};
  TG_FUZZ_CHECK(deflateInit2(&s, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK,
                "deflateInit2");
  std::vector<unsigned char> out(deflateBound(&s, uLong(in.size())) + 64);
  s.next_in = const_cast<unsigned char*>(in.data());
  s.avail_in = uInt(in.size());
  s.next_out = out.data();
  s.avail_out = uInt(out.size());
  TG_FUZZ_CHECK(deflate(&s, Z_FINISH) == Z_STREAM_END, "deflate");
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

// One memfd for the whole run, rewritten for each input.
const std::string& file_with(std::span<const unsigned char> bytes) {
  static const int fd = memfd_create("tg_fuzz_idx", 0);
  static const std::string path = "/proc/self/fd/" + std::to_string(fd);
  TG_FUZZ_CHECK(fd >= 0, "memfd_create failed");
  TG_FUZZ_CHECK(ftruncate(fd, 0) == 0, "ftruncate");
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = pwrite(fd, bytes.data() + done, bytes.size() - done, off_t(done));
    TG_FUZZ_CHECK(n > 0, "pwrite");
    done += std::size_t(n);
  }
  return path;
}

struct Outcome {
  std::optional<data::IdxArray> array;
  std::string error;
};

template <class F>
Outcome run(F&& f, const std::string& name) {
  Outcome o;
  try {
    o.array = f();
  } catch (const std::runtime_error& e) {
    o.error = e.what();
    TG_FUZZ_CHECK(tg_fuzz::starts_with(o.error, "read_idx: '" + name + "' "),
                  "message does not name the input: %s", e.what());
  }
  return o;
}

void check_array(const data::IdxArray& a) {
  TG_FUZZ_CHECK(!a.dims.empty() && a.dims.size() <= 255, "rank %zu", a.dims.size());
  std::uint64_t product = 1;
  for (std::size_t d : a.dims) {
    TG_FUZZ_CHECK(d > 0 && d <= 0xFFFFFFFFu, "dimension %zu", d);
    product *= d;
    TG_FUZZ_CHECK(product <= data::idx_max_values, "product over the limit");
  }
  TG_FUZZ_CHECK(a.values.size() == product, "%zu values for a product of %llu", a.values.size(),
                static_cast<unsigned long long>(product));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  if (size == 0) return 0;
  const int mode = bytes[0] & 3;
  std::span<const unsigned char> rest(bytes + 1, size - 1);
  std::size_t where = 0;
  unsigned char flip = 0;
  if (mode >= 2) {
    if (rest.size() < 3) return 0;
    where = std::size_t(rest[0]) << 8 | rest[1];
    flip = rest[2];
    rest = rest.subspan(3);
  }
  std::vector<unsigned char> file(rest.begin(), rest.end());
  if (mode >= 1) file = gzip(rest, 1 + (bytes[0] >> 2) % 9);
  if (mode == 2) file.resize(where % (file.size() + 1));
  if (mode == 3 && flip != 0) file[where % file.size()] ^= flip;

  const std::string& path = file_with(file);
  const Outcome got = run([&] { return data::read_idx(path); }, path);
  if (got.array) check_array(*got.array);

  const bool gzip_magic = file.size() >= 2 && file[0] == 0x1f && file[1] == 0x8b;
  if (mode == 0 && !gzip_magic) {
    // zlib copies the file through: the same result, the same message.
    const Outcome mem = run([&] { return data::parse_idx(file, path); }, path);
    TG_FUZZ_CHECK(got.error == mem.error, "read_idx: %s\nparse_idx: %s", got.error.c_str(),
                  mem.error.c_str());
    if (got.array)
      TG_FUZZ_CHECK(got.array->dims == mem.array->dims && got.array->values == mem.array->values,
                    "read_idx and parse_idx disagree");
  }
  if (mode == 1) {
    const Outcome mem = run([&] { return data::parse_idx(rest, path); }, path);
    TG_FUZZ_CHECK(got.array.has_value() == mem.array.has_value(),
                  "valid gzip stream: read_idx %s, parse_idx %s", got.error.c_str(),
                  mem.error.c_str());
    if (got.array)
      TG_FUZZ_CHECK(got.array->dims == mem.array->dims && got.array->values == mem.array->values,
                    "read_idx and parse_idx disagree");
  }
  return 0;
}
