// The IDX reader against malformed and hostile files: overflowing or lying headers, truncation,
// trailing bytes, corrupt gzip streams. None of these tests may allocate more than a few MiB.
#include <sys/resource.h>
#include <zlib.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <tensorguard/data/idx.hpp>

#include "test_files.hpp"

namespace tg = tensorguard;
using namespace tg;
using Catch::Contains;

namespace {
using testing::idx_bytes;
using testing::temp_path;
void write_plain(const std::string& path, const std::vector<unsigned char>& bytes) {
  testing::write_bytes(path, bytes);
}
std::vector<unsigned char> gzip(const std::vector<unsigned char>& bytes) {
  z_stream s{};
  REQUIRE(deflateInit2(&s, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::vector<unsigned char> out(deflateBound(&s, uLong(bytes.size())) + 32);
  s.next_in = const_cast<unsigned char*>(bytes.data());
  s.avail_in = uInt(bytes.size());
  s.next_out = out.data();
  s.avail_out = uInt(out.size());
  REQUIRE(deflate(&s, Z_FINISH) == Z_STREAM_END);
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}
// Peak resident memory of this process so far, in bytes.
long peak_rss() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss * 1024L;
}
// Writes `bytes` to a temporary file, checks read_idx refuses it with a std::runtime_error whose
// message holds every one of `parts`, quickly and without growing the peak RSS by 64 MiB.
void check_refused(const std::string& name, const std::vector<unsigned char>& bytes,
                   const std::vector<std::string>& parts) {
  const auto path = temp_path(name);
  write_plain(path, bytes);
  const long rss_before = peak_rss();
  const auto t0 = std::chrono::steady_clock::now();
  std::string message;
  try {
    data::read_idx(path);
  } catch (const std::runtime_error& e) {
    message = e.what();
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  INFO(name << ": " << message);
  REQUIRE(!message.empty());
  CHECK_THAT(message, Contains("'" + path + "'"));
  for (const auto& part : parts) CHECK_THAT(message, Contains(part));
  CHECK(peak_rss() - rss_before < 64L << 20);
  CHECK(seconds < 2.0);
  std::filesystem::remove(path);
}
}  // namespace

TEST_CASE("IDX: a header whose dimension product wraps around is refused", "[idx]") {
  // 368 * 329160311 * 4264051793 = 28 * 2^64 + 16: a 64-bit product wraps to 16 per item, so an
  // unchecked reader takes these 32 bytes as 2 samples of Shape<16>.
  const auto bytes = idx_bytes({2, 368, 329160311u, 4264051793u}, std::vector<unsigned char>(32));
  const auto path = temp_path("wrap.idx");
  write_plain(path, bytes);
  CHECK_THROWS_WITH((data::read_idx_samples<Shape<16>>(path, 1.0)),
                    Contains("exceeds the limit") && Contains(path) &&
                        Contains("dims 2 x 368 x 329160311 x 4264051793"));
  CHECK_THROWS_AS(data::parse_idx(bytes), std::runtime_error);
  std::filesystem::remove(path);
  // All-ones dimensions: refused by the limit, not by the vector (std::length_error).
  check_refused("ffff.idx", idx_bytes({0xFFFFFFFFu, 0xFFFFFFFFu}, {}), {"exceeds the limit"});
  check_refused("ffff.idx.gz", gzip(idx_bytes({0xFFFFFFFFu, 0xFFFFFFFFu}, {})),
                {"exceeds the limit"});
}

TEST_CASE("IDX: a header that claims more data than the file holds costs no memory", "[idx]") {
  // 8 bytes claiming 1 GiB of labels.
  check_refused("8byte.idx", idx_bytes({1u << 30}, {}),
                {"dims 1073741824", "1073741824 bytes of data", "only 0 bytes follow"});
  // A few dozen gzip bytes claiming 4 GiB: the reader learns the truth only by decompressing.
  const auto gz = gzip(idx_bytes({65536, 65536}, {1, 2, 3}));
  CHECK(gz.size() < 40);
  check_refused("4gib.idx.gz", gz,
                {"dims 65536 x 65536", "4294967296 bytes of data", "only 3 bytes follow"});
  // The largest single dimension, just under the limit.
  check_refused("max.idx", idx_bytes({0xFFFFFFFFu}, {7}), {"only 1 bytes follow"});
  check_refused("max.idx.gz", gzip(idx_bytes({0xFFFFFFFFu}, {7})), {"only 1 bytes follow"});
}

TEST_CASE("IDX: truncated files say what the header claimed and what was found", "[idx]") {
  std::vector<unsigned char> pixels(24, 9);
  auto bytes = idx_bytes({2, 3, 4}, pixels);
  bytes.resize(bytes.size() - 5);
  check_refused("short.idx", bytes, {"dims 2 x 3 x 4 (24 bytes of data)", "only 19 bytes follow"});
  check_refused("short.idx.gz", gzip(bytes), {"dims 2 x 3 x 4", "only 19 bytes follow"});
  check_refused("header.idx", {0, 0, 8, 3, 0, 0, 0, 2, 0, 0},
                {"truncated in its header", "declares 3 dimensions", "ends after 10 bytes"});
  check_refused("magic.idx", {0, 0, 8}, {"ends after 3 bytes, before the end of the 4-byte magic"});
  check_refused("empty.idx", {}, {"ends after 0 bytes"});
}

TEST_CASE("IDX: bytes after the data are refused", "[idx]") {
  const auto bytes = idx_bytes({2, 3}, {1, 2, 3, 4, 5, 6, 7});
  check_refused("trailing.idx", bytes, {"dims 2 x 3 (6 bytes of data)", "1 trailing bytes"});
  check_refused("trailing.idx.gz", gzip(bytes), {"dims 2 x 3", "1 trailing bytes follow"});
  CHECK_THROWS_WITH(data::parse_idx(bytes, "mem"),
                    Contains("'mem'") && Contains("7 bytes follow the header (1 trailing bytes)"));
}

TEST_CASE("IDX: zero items, a zero dimension and rank 0 are refused", "[idx]") {
  check_refused("zero_items.idx", idx_bytes({0, 28, 28}, {}), {"zero items", "dims 0 x 28 x 28"});
  check_refused("zero_dim.idx", idx_bytes({5, 0}, {}), {"dimension 1 of size 0", "dims 5 x 0"});
  check_refused("zero_dim.idx.gz", gzip(idx_bytes({5, 3, 0}, {})), {"dimension 2 of size 0"});
  check_refused("rank0.idx", {0, 0, 8, 0}, {"rank 0"});
  check_refused("rank0_data.idx", {0, 0, 8, 0, 42}, {"rank 0"});
  check_refused("type.idx", {0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0}, {"type code 13"});
  check_refused("magic2.idx", {1, 0, 8, 1, 0, 0, 0, 1, 0}, {"bad magic number"});
}

TEST_CASE("IDX: a corrupt gzip stream is reported as such, with zlib's words", "[idx]") {
  std::vector<unsigned char> pixels(3000);
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<unsigned char>(i * 7);
  const auto good = gzip(idx_bytes({3, 1000}, pixels));
  // A damaged deflate block.
  auto bad = good;
  for (std::size_t i = 20; i < 40; ++i) bad[i] = 0xFF;
  check_refused("corrupt.idx.gz", bad, {"gzip stream is corrupt (zlib: "});
  // Damaged checksum in the gzip trailer: the data is complete, the stream is not valid.
  auto crc = good;
  crc[crc.size() - 6] ^= 0x40;
  check_refused("crc.idx.gz", crc, {"gzip stream is corrupt (zlib: incorrect data check)"});
  // Cut in the middle, and cut just before the trailer.
  check_refused("cut.idx.gz", std::vector<unsigned char>(good.begin(), good.begin() + 30),
                {"dims 3 x 1000", "ends early (zlib: unexpected end of file)"});
  check_refused("notrailer.idx.gz", std::vector<unsigned char>(good.begin(), good.end() - 8),
                {"after the data the gzip stream ends early"});
  // A gzip header and nothing that inflates.
  check_refused("gzheader.idx.gz", {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xFF, 0xFF, 0xFF},
                {"gzip stream is corrupt"});
}

TEST_CASE("IDX: valid files read the same plain, gzip and from memory, across chunks", "[idx]") {
  // 3.3 MB: several of the reader's chunks (1 MiB, then 2, ...).
  std::vector<unsigned char> pixels(3 * 1000 * 1111);
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<unsigned char>(i * 31);
  const auto bytes = idx_bytes({3, 1000, 1111}, pixels);
  const auto plain = temp_path("big.idx"), gz = temp_path("big.idx.gz");
  write_plain(plain, bytes);
  write_plain(gz, gzip(bytes));
  for (const auto& array : {data::read_idx(plain), data::read_idx(gz), data::parse_idx(bytes)}) {
    CHECK(array.dims == std::vector<std::size_t>{3, 1000, 1111});
    CHECK(array.values == pixels);
    CHECK(array.values.capacity() == array.values.size());  // never more than the data
  }
  std::filesystem::remove(plain);
  std::filesystem::remove(gz);
  // The smallest file: one item of one byte.
  const auto one = data::parse_idx(idx_bytes({1}, {200}));
  CHECK(one.dims == std::vector<std::size_t>{1});
  CHECK(one.values == std::vector<std::uint8_t>{200});
  // Labels: rank 1 only.
  const auto labels = temp_path("labels.idx");
  write_plain(labels, idx_bytes({4}, {0, 1, 2, 9}));
  CHECK(data::read_idx_class_labels<ClassIndex<10>>(labels) ==
        std::vector<std::int32_t>{0, 1, 2, 9});
  write_plain(labels, idx_bytes({2, 2}, {0, 1, 2, 9}));
  CHECK_THROWS_WITH(data::read_idx_class_labels<ClassIndex<10>>(labels),
                    Contains("not one class label per item"));
  std::filesystem::remove(labels);
}
