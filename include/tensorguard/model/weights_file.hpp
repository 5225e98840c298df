// The weights file (docs/weights-format.md). Little-endian:
//   "TGWEIGHT" | u32 version (1) | u32 scalar bytes (4 float, 8 double) | u32 record count
//   per record: str path | str kind | u32 rank + u64 dims (input) | u32 rank + u64 dims (output)
//               | u64 parameters | u64 state
//   u64 parameter count | parameters (scalar) | u64 state count | state (scalar)
// where str is u32 length + bytes. Loading compares every record with the model's own before
// reading any value, so a file made for another model is refused, never misread.
#pragma once
#include <bit>
#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "../detail/layer.hpp"

namespace tensorguard {

struct WeightsMismatch : std::runtime_error {
  using std::runtime_error::runtime_error;
};

namespace detail {

static_assert(std::endian::native == std::endian::little,
              "the weights file is little-endian; add byte swapping for this platform");

inline constexpr char weights_magic[8] = {'T', 'G', 'W', 'E', 'I', 'G', 'H', 'T'};
inline constexpr std::uint32_t weights_version = 1;

class Writer {
 public:
  explicit Writer(const std::string& path) : out_(path, std::ios::binary), path_(path) {
    if (!out_) throw std::runtime_error("save: cannot write '" + path + "'");
  }
  template <class V>
  void put(V v) {
    out_.write(reinterpret_cast<const char*>(&v), sizeof v);
  }
  void put(const std::string& s) {
    put(std::uint32_t(s.size()));
    out_.write(s.data(), std::streamsize(s.size()));
  }
  void put_dims(const std::vector<std::size_t>& d) {
    put(std::uint32_t(d.size()));
    for (auto x : d) put(std::uint64_t(x));
  }
  template <class T>
  void put_array(const T* p, std::size_t n) {
    put(std::uint64_t(n));
    out_.write(reinterpret_cast<const char*>(p), std::streamsize(n * sizeof(T)));
  }
  void finish() {
    out_.flush();
    if (!out_) throw std::runtime_error("save: writing '" + path_ + "' failed");
  }

 private:
  std::ofstream out_;
  std::string path_;
};

class Reader {
 public:
  explicit Reader(const std::string& path) : in_(path, std::ios::binary), path_(path) {
    if (!in_) throw std::runtime_error("load: cannot open '" + path + "'");
  }
  template <class V>
  V get() {
    V v{};
    read(&v, sizeof v);
    return v;
  }
  std::string get_string() {
    const auto n = get<std::uint32_t>();
    if (n > (1u << 20)) corrupt();
    std::string s(n, '\0');
    read(s.data(), n);
    return s;
  }
  std::vector<std::size_t> get_dims() {
    const auto r = get<std::uint32_t>();
    if (r > 16) corrupt();
    std::vector<std::size_t> d(r);
    for (auto& x : d) x = std::size_t(get<std::uint64_t>());
    return d;
  }
  void read(void* dst, std::size_t n) {
    in_.read(static_cast<char*>(dst), std::streamsize(n));
    if (std::size_t(in_.gcount()) != n) corrupt();
  }
  [[noreturn]] void corrupt() {
    throw WeightsMismatch("load: '" + path_ + "' is truncated or not a tensorguard weights file");
  }
  const std::string& path() const { return path_; }

 private:
  std::ifstream in_;
  std::string path_;
};

inline std::string describe_record(const LayerRecord& r) {
  return r.kind + " (input " + dims_string(r.input_dims) + ", output " +
         dims_string(r.output_dims) + ")";
}

template <class T>
void write_weights(const std::string& path, const std::vector<LayerRecord>& records,
                   const T* params, std::size_t n_params, const T* state, std::size_t n_state) {
  Writer w(path);
  for (char c : weights_magic) w.put(c);
  w.put(weights_version);
  w.put(std::uint32_t(sizeof(T)));
  w.put(std::uint32_t(records.size()));
  for (const auto& r : records) {
    w.put(r.path);
    w.put(r.kind);
    w.put_dims(r.input_dims);
    w.put_dims(r.output_dims);
    w.put(std::uint64_t(r.parameters));
    w.put(std::uint64_t(r.state));
  }
  w.put_array(params, n_params);
  w.put_array(state, n_state);
  w.finish();
}

template <class T>
void read_weights(const std::string& path, const std::vector<LayerRecord>& expected, T* params,
                  std::size_t n_params, T* state, std::size_t n_state) {
  Reader r(path);
  char magic[8];
  r.read(magic, 8);
  if (!std::equal(magic, magic + 8, weights_magic))
    throw WeightsMismatch("load: '" + path + "' is not a tensorguard weights file");
  if (const auto v = r.get<std::uint32_t>(); v != weights_version)
    throw WeightsMismatch("load: '" + path + "' has format version " + std::to_string(v) +
                          "; this build reads version " + std::to_string(weights_version));
  if (const auto bytes = r.get<std::uint32_t>(); bytes != sizeof(T))
    throw WeightsMismatch("load: '" + path + "' holds " + std::to_string(bytes * 8) +
                          "-bit weights but the model's scalar is " +
                          std::to_string(sizeof(T) * 8) +
                          "-bit; load it into a model of the same element type");
  const auto count = r.get<std::uint32_t>();
  for (std::size_t i = 0; i < std::max<std::size_t>(count, expected.size()); ++i) {
    if (i >= count)
      throw WeightsMismatch("load: '" + path + "' ends after " + std::to_string(count) +
                            " layers but the model has layer " + expected[i].path + " " +
                            describe_record(expected[i]));
    LayerRecord got;
    got.path = r.get_string();
    got.kind = r.get_string();
    got.input_dims = r.get_dims();
    got.output_dims = r.get_dims();
    got.parameters = std::size_t(r.get<std::uint64_t>());
    got.state = std::size_t(r.get<std::uint64_t>());
    if (i >= expected.size())
      throw WeightsMismatch("load: '" + path + "' has more layers than the model: layer " +
                            got.path + " " + describe_record(got) + " is not in the model");
    const auto& want = expected[i];
    if (got.kind != want.kind || got.input_dims != want.input_dims ||
        got.output_dims != want.output_dims || got.parameters != want.parameters ||
        got.state != want.state || got.path != want.path)
      throw WeightsMismatch("load: '" + path + "' was saved from a different model: layer " +
                            want.path + " is " + describe_record(got) + " in the file but " +
                            describe_record(want) + " in this model");
  }
  if (r.get<std::uint64_t>() != n_params) r.corrupt();
  r.read(params, n_params * sizeof(T));
  if (r.get<std::uint64_t>() != n_state) r.corrupt();
  r.read(state, n_state * sizeof(T));
}

}  // namespace detail
}  // namespace tensorguard
