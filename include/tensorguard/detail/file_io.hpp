// Files the library writes and reads whole: weights and checkpoints. Writes are atomic (a
// temporary file beside the destination, fsync, rename over it, fsync of the directory), so a
// crash or a full disk leaves the previous file intact. Reads take the file as it is on disk:
// nothing is allocated from what a header claims. Serialisation is little-endian, to and from
// byte arrays checked against their own length.
#pragma once
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "config.hpp"

namespace tensorguard::detail {

static_assert(std::endian::native == std::endian::little,
              "tensorguard's files are little-endian; add byte swapping for this platform");

inline std::uint32_t crc32_of(std::span<const unsigned char> bytes) {
  return std::uint32_t(::crc32_z(::crc32_z(0L, Z_NULL, 0), bytes.data(), bytes.size()));
}

class ByteWriter {
 public:
  template <class V>
  requires std::is_arithmetic_v<V>
  void put(V v) {
    const auto* p = reinterpret_cast<const unsigned char*>(&v);
    bytes_.insert(bytes_.end(), p, p + sizeof v);
  }
  void put(const std::string& s) {
    put(std::uint32_t(s.size()));
    bytes_.insert(bytes_.end(), s.begin(), s.end());
  }
  void put_raw(const void* p, std::size_t n) {
    const auto* b = static_cast<const unsigned char*>(p);
    bytes_.insert(bytes_.end(), b, b + n);
  }
  void put_dims(const std::vector<std::size_t>& d) {
    put(std::uint32_t(d.size()));
    for (auto x : d) put(std::uint64_t(x));
  }
  template <class T>
  void put_array(const T* p, std::size_t n) {
    put(std::uint64_t(n));
    put_raw(p, n * sizeof(T));
  }
  // The CRC-32 of everything written so far, appended.
  void seal() { put(crc32_of(bytes_)); }
  const std::vector<unsigned char>& bytes() const { return bytes_; }
  void reserve(std::size_t n) { bytes_.reserve(n); }

 private:
  std::vector<unsigned char> bytes_;
};

// Thrown for a file that is not what it claims (truncated, corrupt, foreign, or another model's).
struct FileFormatError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <class Error = FileFormatError>
class ByteReader {
 public:
  ByteReader(std::span<const unsigned char> bytes, std::string what)
      : bytes_(bytes), what_(std::move(what)) {}
  template <class V>
  requires std::is_arithmetic_v<V> V get() {
    V v{};
    read(&v, sizeof v);
    return v;
  }
  std::string get_string(std::size_t max_length = 1 << 16) {
    const auto n = get<std::uint32_t>();
    if (n > max_length || n > remaining()) corrupt("a text field claims " + bytes(n));
    std::string s(reinterpret_cast<const char*>(bytes_.data() + pos_), n);
    pos_ += n;
    return s;
  }
  std::vector<std::size_t> get_dims() {
    const auto r = get<std::uint32_t>();
    if (r > 16) corrupt("a shape claims rank " + std::to_string(r));
    std::vector<std::size_t> d(r);
    for (auto& x : d) x = std::size_t(get<std::uint64_t>());
    return d;
  }
  // A count of elements of `size` bytes each that must still be in the file.
  std::size_t get_count(std::size_t size, const char* field) {
    const auto n = get<std::uint64_t>();
    if (size && n > remaining() / size)
      corrupt(std::string(field) + " claims " + std::to_string(n) + " values but only " +
              bytes(remaining()) + " remain");
    return std::size_t(n);
  }
  void read(void* dst, std::size_t n) {
    if (n > remaining())
      corrupt("it ends " + bytes(n - remaining()) + " early, at byte " +
              std::to_string(bytes_.size()) + " (a truncated file)");
    if (n) std::memcpy(dst, bytes_.data() + pos_, n);
    pos_ += n;
  }
  std::size_t remaining() const { return bytes_.size() - pos_; }
  std::size_t position() const { return pos_; }
  void expect_end() {
    if (remaining())
      corrupt(bytes(remaining()) + (remaining() == 1 ? " follows" : " follow") +
              " the end of the data at byte " + std::to_string(pos_) + " (something was appended)");
  }
  static std::string bytes(std::size_t n) {
    return std::to_string(n) + (n == 1 ? " byte" : " bytes");
  }
  [[noreturn]] void corrupt(const std::string& why) const { throw Error(what_ + ": " + why); }

 private:
  std::span<const unsigned char> bytes_;
  std::string what_;
  std::size_t pos_ = 0;
};

// The whole file, or its first limit + 1 bytes when it is longer than `limit` (the caller then
// knows it is too long without holding all of it). Throws std::runtime_error naming the path when
// it is missing, a directory or unreadable.
#if TG_HEADER_DEFINITIONS
TG_OUT_OF_LINE std::vector<unsigned char> read_whole_file(const std::string& path,
                                                          const std::string& who,
                                                          std::size_t limit = SIZE_MAX) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status))
    throw std::runtime_error(who + ": cannot open '" + path + "': no such file");
  if (!std::filesystem::is_regular_file(status))
    throw std::runtime_error(who + ": '" + path + "' is not a regular file" +
                             (std::filesystem::is_directory(status) ? " (it is a directory)" : ""));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(who + ": cannot open '" + path + "'");
  std::vector<unsigned char> bytes;
  char chunk[1 << 16];
  while (in && bytes.size() <= limit) {
    const std::size_t room = limit - bytes.size();  // one more byte than this shows "too long"
    in.read(chunk, std::streamsize(room >= sizeof chunk ? sizeof chunk : room + 1));
    bytes.insert(bytes.end(), chunk, chunk + in.gcount());
  }
  if (in.bad()) throw std::runtime_error(who + ": reading '" + path + "' failed");
  return bytes;
}
#else
std::vector<unsigned char> read_whole_file(const std::string& path, const std::string& who,
                                           std::size_t limit = SIZE_MAX);
#endif

// Replaces `path` with `bytes` atomically: readers see the old file or the new one, never a
// mixture, also when the process is killed or the disk fills up mid-write.
#if TG_HEADER_DEFINITIONS
TG_OUT_OF_LINE void write_file_atomically(const std::string& path,
                                          std::span<const unsigned char> bytes,
                                          const std::string& who) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  if (target.filename().empty())
    throw std::runtime_error(who + ": '" + path + "' names a directory, not a file");
  const fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  std::string name = (dir / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
  const int fd = ::mkstemp(name.data());
  if (fd < 0)
    throw std::runtime_error(who + ": cannot create a temporary file in '" + dir.string() +
                             "': " + std::strerror(errno) + "; '" + path + "' is unchanged");
  auto fail = [&](const char* step, int error, bool open) {
    if (open) ::close(fd);
    ::unlink(name.c_str());
    throw std::runtime_error(who + ": " + step + " '" + name + "' failed: " + std::strerror(error) +
                             "; '" + path + "' is unchanged");
  };
  ::fchmod(fd, 0644);  // mkstemp's 0600 would hide the file from other users
  const unsigned char* p = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    const ::ssize_t n = ::write(fd, p, std::min<std::size_t>(left, std::size_t(1) << 30));
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("writing", errno, true);
    }
    p += n;
    left -= std::size_t(n);
  }
  if (::fsync(fd) != 0) fail("flushing", errno, true);
  if (::close(fd) != 0) fail("closing", errno, false);
  if (::rename(name.c_str(), path.c_str()) != 0) fail("renaming", errno, false);
  // The rename itself must reach the disk: sync the directory entry.
  if (const int d = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY); d >= 0) {
    ::fsync(d);
    ::close(d);
  }
}
#else
void write_file_atomically(const std::string& path, std::span<const unsigned char> bytes,
                           const std::string& who);
#endif

}  // namespace tensorguard::detail
