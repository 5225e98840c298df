// The weights file (docs/weights-format.md). Little-endian, version 2:
//   "TGWEIGHT" | u32 version (2) | u32 scalar bytes (4 float, 8 double) | u32 record count
//   per record: str path | str kind | u32 rank + u64 dims (input) | u32 rank + u64 dims (output)
//               | u64 parameters | u64 state
//   u64 parameter count | parameters (scalar) | u64 state count | state (scalar)
//   u32 CRC-32 of every byte before it
// where str is u32 length + bytes. Version 1 is the same without the checksum; it still loads.
// Loading checks the checksum, then compares every record with the model's own, then reads the
// values into scratch arrays and refuses NaN/Inf: a file made for another model, a corrupt or
// truncated file is refused, never misread, and the model is touched only when all is well.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "../detail/config.hpp"
#include "../detail/file_io.hpp"
#include "../detail/layer.hpp"

namespace tensorguard {

struct WeightsMismatch : std::runtime_error {
  using std::runtime_error::runtime_error;
};

namespace detail {

inline constexpr char weights_magic[8] = {'T', 'G', 'W', 'E', 'I', 'G', 'H', 'T'};
inline constexpr std::uint32_t weights_version = 2;
using WeightsReader = ByteReader<WeightsMismatch>;

#if TG_HEADER_DEFINITIONS
TG_OUT_OF_LINE std::string describe_record(const LayerRecord& r) {
  return r.kind + " (input " + dims_string(r.input_dims) + ", output " +
         dims_string(r.output_dims) + ")";
}
#else
std::string describe_record(const LayerRecord& r);
#endif

// The layer that owns flat value `index` of the parameters (or of the state).
#if TG_HEADER_DEFINITIONS
TG_OUT_OF_LINE std::string layer_holding(const std::vector<LayerRecord>& records, std::size_t index,
                                         bool state) {
  std::size_t offset = 0;
  for (const auto& r : records) {
    if (r.container) continue;
    const std::size_t n = state ? r.state : r.parameters;
    if (index < offset + n) return "layer " + r.path + " " + r.kind;
    offset += n;
  }
  return "no layer";
}
#else
std::string layer_holding(const std::vector<LayerRecord>& records, std::size_t index, bool state);
#endif

// Records and values: the part of the file a checkpoint shares with the weights file.
template <class T>
void put_model(ByteWriter& w, const std::vector<LayerRecord>& records, const T* params,
               std::size_t n_params, const T* state, std::size_t n_state) {
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
}

// `subject` names the file in messages: "load: 'w.tgw'".
template <class T>
void get_values(WeightsReader& r, const std::string& subject,
                const std::vector<LayerRecord>& records, T* out, std::size_t n, bool state) {
  const char* what = state ? "state" : "parameter";
  if (const auto count = r.get<std::uint64_t>(); count != n)
    r.corrupt("it holds " + std::to_string(count) + " " + what + " values but the model has " +
              std::to_string(n));
  r.read(out, n * sizeof(T));
  for (std::size_t i = 0; i < n; ++i)
    if (!std::isfinite(out[i]))
      throw WeightsMismatch(subject + " holds " + (std::isnan(out[i]) ? "NaN" : "Inf") + " at " +
                            what + " " + std::to_string(i) + " (" +
                            layer_holding(records, i, state) +
                            "); it was saved from a model that had diverged, or it is corrupt");
}

template <class T>
void get_model(WeightsReader& r, const std::string& subject,
               const std::vector<LayerRecord>& expected, T* params, std::size_t n_params, T* state,
               std::size_t n_state) {
  if (const auto bytes = r.get<std::uint32_t>(); bytes != sizeof(T))
    throw WeightsMismatch(subject + " holds " + std::to_string(std::uint64_t(bytes) * 8) +
                          "-bit weights but the model's scalar is " +
                          std::to_string(sizeof(T) * 8) +
                          "-bit; load it into a model of the same element type");
  const auto count = r.get<std::uint32_t>();
  for (std::size_t i = 0; i < std::max<std::size_t>(count, expected.size()); ++i) {
    if (i >= count)
      throw WeightsMismatch(subject + " ends after " + std::to_string(count) +
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
      throw WeightsMismatch(subject + " has more layers than the model: layer " + got.path + " " +
                            describe_record(got) + " is not in the model");
    const auto& want = expected[i];
    if (got.kind != want.kind || got.input_dims != want.input_dims ||
        got.output_dims != want.output_dims || got.parameters != want.parameters ||
        got.state != want.state || got.path != want.path)
      throw WeightsMismatch(subject + " was saved from a different model: layer " + want.path +
                            " is " + describe_record(got) + " in the file but " +
                            describe_record(want) + " in this model");
  }
  get_values(r, subject, expected, params, n_params, false);
  get_values(r, subject, expected, state, n_state, true);
}

inline bool checksum_matches(std::span<const unsigned char> bytes) {
  if (bytes.size() < 4) return false;
  std::uint32_t stored;
  std::memcpy(&stored, bytes.data() + bytes.size() - 4, 4);
  return stored == crc32_of(bytes.first(bytes.size() - 4));
}

// Checks a sealed file's trailing CRC-32 before anything else is read.
#if TG_HEADER_DEFINITIONS
TG_OUT_OF_LINE void verify_checksum(std::span<const unsigned char> bytes,
                                    const std::string& subject) {
  if (bytes.size() < 4) return;  // the reader reports the truncation
  if (!checksum_matches(bytes)) {
    std::uint32_t stored;
    std::memcpy(&stored, bytes.data() + bytes.size() - 4, 4);
    char buf[96];
    std::snprintf(buf, sizeof buf, "its checksum is %08x but its content gives %08x", stored,
                  crc32_of(bytes.first(bytes.size() - 4)));
    throw WeightsMismatch(subject + " is corrupt: " + buf +
                          " (a flipped bit, a truncated copy or an edit); nothing was loaded");
  }
}
#else
void verify_checksum(std::span<const unsigned char> bytes, const std::string& subject);
#endif

// A format version this build does not read: a newer file if its checksum holds, else damage.
[[noreturn]] inline void unknown_version(std::span<const unsigned char> bytes,
                                         const std::string& subject, std::uint32_t version,
                                         const std::string& known) {
  if (checksum_matches(bytes))
    throw WeightsMismatch(subject + " was written by a newer tensorguard (format version " +
                          std::to_string(version) + "); this build reads " + known);
  throw WeightsMismatch(subject + " is corrupt: its format version field reads " +
                        std::to_string(version) + " (this build reads " + known +
                        ") and its checksum does not match; nothing was loaded");
}

inline std::string reading(const std::string& subject, const char* kind) {
  return subject + " cannot be read as a tensorguard " + kind;
}

// The size of this model's weights file (version 2; version 1 is 4 bytes shorter).
inline std::size_t weights_file_size(const std::vector<LayerRecord>& records, std::size_t n_params,
                                     std::size_t n_state, std::size_t scalar_bytes) {
  std::size_t n = 8 + 4 + 4 + 4 + 8 + n_params * scalar_bytes + 8 + n_state * scalar_bytes + 4;
  for (const auto& r : records)
    n += 4 + r.path.size() + 4 + r.kind.size() + 4 + 8 * r.input_dims.size() + 4 +
         8 * r.output_dims.size() + 8 + 8;
  return n;
}

template <class T>
std::vector<unsigned char> weights_bytes(const std::vector<LayerRecord>& records, const T* params,
                                         std::size_t n_params, const T* state,
                                         std::size_t n_state) {
  ByteWriter w;
  w.reserve(4096 + (n_params + n_state) * sizeof(T));
  for (char c : weights_magic) w.put(c);
  w.put(weights_version);
  put_model(w, records, params, n_params, state, n_state);
  w.seal();
  return w.bytes();
}

template <class T>
void write_weights(const std::string& path, const std::vector<LayerRecord>& records,
                   const T* params, std::size_t n_params, const T* state, std::size_t n_state) {
  write_file_atomically(path, weights_bytes(records, params, n_params, state, n_state), "save");
}

// Reads a version 1 or 2 weights file from memory into params and state (scratch arrays: on an
// error their content is unspecified).
template <class T>
void parse_weights(std::span<const unsigned char> bytes, const std::string& path,
                   const std::vector<LayerRecord>& expected, T* params, std::size_t n_params,
                   T* state, std::size_t n_state, const std::string& who = "load") {
  const std::string subject = who + ": '" + path + "'";
  WeightsReader r(bytes, reading(subject, "weights file"));
  char magic[8];
  r.read(magic, 8);
  if (!std::equal(magic, magic + 8, weights_magic))
    throw WeightsMismatch(subject + " is not a tensorguard weights file");
  const auto version = r.get<std::uint32_t>();
  if (version != 1 && version != 2) unknown_version(bytes, subject, version, "versions 1 and 2");
  if (version == 2) {
    if (bytes.size() < 16) r.corrupt("it is only " + std::to_string(bytes.size()) + " bytes long");
    verify_checksum(bytes, subject);
    WeightsReader body(bytes.first(bytes.size() - 4), reading(subject, "weights file"));
    body.read(magic, 8);
    body.get<std::uint32_t>();
    get_model(body, subject, expected, params, n_params, state, n_state);
    body.expect_end();
    return;
  }
  get_model(r, subject, expected, params, n_params, state, n_state);
  r.expect_end();
}

template <class T>
void read_weights(const std::string& path, const std::vector<LayerRecord>& expected, T* params,
                  std::size_t n_params, T* state, std::size_t n_state) {
  const auto bytes = read_whole_file(path, "load");
  parse_weights(std::span<const unsigned char>(bytes), path, expected, params, n_params, state,
                n_state);
}

#if defined(TG_SEPARATE_COMPILATION)
#define TG_WEIGHTS_FILE_INSTANCES(T)                                                               \
  TG_EXTERN_TEMPLATE std::vector<unsigned char> weights_bytes<T>(                                  \
      const std::vector<LayerRecord>&, const T*, std::size_t, const T*, std::size_t);              \
  TG_EXTERN_TEMPLATE void write_weights<T>(const std::string&, const std::vector<LayerRecord>&,    \
                                           const T*, std::size_t, const T*, std::size_t);          \
  TG_EXTERN_TEMPLATE void parse_weights<T>(std::span<const unsigned char>, const std::string&,     \
                                           const std::vector<LayerRecord>&, T*, std::size_t, T*,   \
                                           std::size_t, const std::string&);                       \
  TG_EXTERN_TEMPLATE void read_weights<T>(const std::string&, const std::vector<LayerRecord>&, T*, \
                                          std::size_t, T*, std::size_t);                           \
  TG_EXTERN_TEMPLATE void get_model<T>(WeightsReader&, const std::string&,                         \
                                       const std::vector<LayerRecord>&, T*, std::size_t, T*,       \
                                       std::size_t);
TG_WEIGHTS_FILE_INSTANCES(float)
TG_WEIGHTS_FILE_INSTANCES(double)
#undef TG_WEIGHTS_FILE_INSTANCES
#endif

}  // namespace detail
}  // namespace tensorguard
