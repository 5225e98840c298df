// libFuzzer harness: data::parse_csv<Shape<2>, Labels, T> on arbitrary text.
//
// Byte 0 picks the options: bits 0-1 the label kind (ClassIndex<3>, OneHot<3>, Binary,
// Real<Shape<2>>), bits 2-3 the header (unset, true, false, unset), bit 4 labels_first, bits 5-7
// the delimiter (',', ';', '\t', ' ', '|', ':', and two the reader must refuse: '"', '\n').
// Byte 1: bit 0 an empty na_tokens list, bit 1 double instead of float. The rest is the text.
// Invariants: an invalid delimiter gives std::invalid_argument; anything else wrong gives
// std::runtime_error naming the input, and nothing else is thrown. A dataset holds at least one
// row and no more rows than the text has lines, size() * features inputs and size() * width
// labels; features are finite numbers that fit T, or NaN (missing); ClassIndex<3> labels are in
// [0, 3), Binary labels 0 or 1, OneHot and Real labels finite numbers.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tensorguard/data/csv.hpp>

#include "fuzz_check.hpp"

namespace tg = tensorguard;
namespace data = tensorguard::data;

namespace {

template <class Labels, class T>
void fuzz(std::string_view text, const data::CsvOptions& options) {
  using S = tg::Shape<2>;
  const std::string name = "fuzz.csv";
  const bool delimiter_valid =
      options.delimiter != '"' && options.delimiter != '\n' && options.delimiter != '\r';
  tg::Dataset<S, Labels, T> d;
  try {
    d = data::parse_csv<S, Labels, T>(text, options, name);
  } catch (const std::runtime_error& e) {
    TG_FUZZ_CHECK(delimiter_valid, "invalid delimiter but runtime_error: %s", e.what());
    TG_FUZZ_CHECK(tg_fuzz::starts_with(e.what(), "parse_csv: '" + name + "'"),
                  "message does not name the input: %s", e.what());
    return;
  } catch (const std::invalid_argument& e) {
    TG_FUZZ_CHECK(!delimiter_valid, "invalid_argument for valid options: %s", e.what());
    return;
  }
  TG_FUZZ_CHECK(delimiter_valid, "an invalid delimiter was accepted");
  std::size_t lines = 1;
  for (char c : text) lines += c == '\n' || c == '\r';
  TG_FUZZ_CHECK(d.size() >= 1 && d.size() <= lines, "%zu rows from %zu lines", d.size(), lines);
  TG_FUZZ_CHECK(d.inputs().size() == d.size() * S::size, "%zu inputs for %zu rows",
                d.inputs().size(), d.size());
  TG_FUZZ_CHECK(d.labels().size() == d.size() * Labels::width, "%zu labels for %zu rows",
                d.labels().size(), d.size());
  for (T x : d.inputs()) TG_FUZZ_CHECK(std::isnan(x) || std::isfinite(x), "feature %g", double(x));
  for (auto y : d.labels()) {
    if constexpr (Labels::kind == tg::LabelKind::class_index)
      TG_FUZZ_CHECK(y >= 0 && std::size_t(y) < Labels::classes, "class label %d", int(y));
    else if constexpr (Labels::kind == tg::LabelKind::binary)
      TG_FUZZ_CHECK(y == T(0) || y == T(1), "binary label %g", double(y));
    else
      TG_FUZZ_CHECK(std::isfinite(y), "label %g", double(y));
  }
}

template <class T>
void fuzz_labels(int kind, std::string_view text, const data::CsvOptions& options) {
  switch (kind) {
    case 0:
      return fuzz<tg::ClassIndex<3>, T>(text, options);
    case 1:
      return fuzz<tg::OneHot<3>, T>(text, options);
    case 2:
      return fuzz<tg::Binary, T>(text, options);
    default:
      return fuzz<tg::Real<tg::Shape<2>>, T>(text, options);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  if (size < 2) return 0;
  const unsigned config = bytes[0], extra = bytes[1];
  const std::string_view text(reinterpret_cast<const char*>(bytes + 2), size - 2);
  data::CsvOptions options;
  switch ((config >> 2) & 3) {
    case 1:
      options.header = true;
      break;
    case 2:
      options.header = false;
      break;
    default:
      break;  // unset: detected
  }
  options.labels_first = (config >> 4) & 1;
  options.delimiter = ",;\t |:\"\n"[(config >> 5) & 7];
  if (extra & 1) options.na_tokens.clear();
  if (extra & 2)
    fuzz_labels<double>(config & 3, text, options);
  else
    fuzz_labels<float>(config & 3, text, options);
  return 0;
}
