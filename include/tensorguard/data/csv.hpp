// CSV files of numeric features and labels, with columns chosen by position or by header name.
//
// The reader follows RFC 4180 (quoted fields may hold the delimiter, doubled quotes and line
// breaks), accepts LF, CRLF and CR-only line ends and skips a UTF-8 byte order mark. A number
// must fill its whole cell: a feature cell that is not a number or a missing-value token, or a
// label cell that is not a valid label, is an error naming the file, the line, the column and
// the text. Columns may be chosen by header name (CsvOptions::features and labels), and text
// columns read as categories (CsvOptions::categorical): one-hot features, or class indices for
// labels, with the categories kept in a CsvCategories so that every file encodes them alike.
// docs/data.md describes the rules.
#pragma once
#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "csv_categories.hpp"
#include "dataset.hpp"

namespace tensorguard::data {

// What the reader does with a cell of a categorical feature column whose text is not among the
// column's categories (which come from a CsvCategories passed to read_csv). A label is never
// unknown: it is always an error.
enum class CsvUnknownCategory {
  error,  // an error naming the file, the line, the column, the text and the known categories
  zeros,  // the column's one-hot values are all 0
};

struct CsvOptions {
  char delimiter = ',';
  // Whether the first row is a header. Unset: a first row of numbers and missing-value tokens is
  // data, one of text (and missing-value tokens) is a header, and one that mixes numbers and text
  // is an error asking to set this. true: the first row must hold text. false: the first row
  // must hold a number (a row of text only is a header, an error). When columns are chosen by
  // name (features, labels or categorical below), the first row is the header.
  std::optional<bool> header = std::nullopt;
  bool labels_first = false;  // labels in the first columns instead of the last
  // Cells that mean "missing" (compared after trimming spaces and tabs, case-sensitive): NaN in a
  // feature cell, an error in a label cell. Assigning a list replaces these defaults; to add a
  // token, push_back onto them.
  std::vector<std::string> na_tokens = {"",     "NA",   "N/A",  "n/a",  "NaN",  "nan",
                                        "-nan", "NULL", "null", "None", "#N/A", "?"};
  // Columns by header name; any of these three lists non-empty needs a header. The features, in
  // this order (empty: every column that is not a label, in the file's order); columns named
  // nowhere are ignored.
  std::vector<std::string> features = {};
  // The label column(s) (empty: the last Labels::width columns, or the first with labels_first).
  std::vector<std::string> labels = {};
  // Text columns read as categories: a feature becomes one-hot values (one per category, in its
  // place in the feature order), a label a class index. A label column of class names with
  // ClassIndex<K> or one-column OneHot<K> labels is read as categories without being listed.
  std::vector<std::string> categorical = {};
  CsvUnknownCategory unknown_category = CsvUnknownCategory::error;
};

namespace detail {
// A cell's text for an error message: quoted, control bytes escaped, at most 40 bytes.
inline std::string csv_show(std::string_view text) {
  constexpr std::size_t limit = 40;
  std::size_t n = text.size();
  if (n > limit) {
    n = limit;
    while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;  // whole UTF-8
  }
  std::string out = "'";
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += char(c);
    }
  }
  out += n < text.size() ? "'..." : "'";
  return out;
}

inline std::string_view csv_trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// What a cell holds. `number`: a finite decimal number filling the cell (surrounding spaces
// allowed, an optional sign, a decimal exponent); hexadecimal and the words inf/nan are not
// numbers.
struct CsvValue {
  enum Kind { number, missing, text, out_of_range, not_finite } kind = text;
  double value = 0;
};

inline CsvValue csv_value(std::string_view cell, const std::vector<std::string>& na_tokens) {
  std::string_view s = csv_trim(cell);
  for (const auto& token : na_tokens)
    if (s == token) return {CsvValue::missing, 0};
  if (!s.empty() && s.front() == '+') {  // from_chars refuses a plus sign; "+-1" stays text
    if (s.size() < 2 || !((s[1] >= '0' && s[1] <= '9') || s[1] == '.')) return {};
    s.remove_prefix(1);
  }
  if (s.empty()) return {};
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (end != s.data() + s.size()) return {};
  if (ec == std::errc::result_out_of_range) return {CsvValue::out_of_range, 0};
  if (ec != std::errc{}) return {};
  if (!std::isfinite(v)) return {CsvValue::not_finite, 0};
  return {CsvValue::number, v};
}

// Splits CSV text into records (rows of cells), counting physical lines. Blank lines (nothing but
// spaces or tabs) are skipped.
class CsvRecords {
 public:
  CsvRecords(std::string_view text, char delimiter, const std::string& where)
      : text_(text), delimiter_(delimiter), where_(where) {}

  // Reads the next record; false at the end of the text.
  bool next() {
    while (pos_ < text_.size()) {
      read_record();
      if (!blank()) return true;
    }
    cells_.clear();
    return false;
  }
  std::size_t line() const { return record_line_; }  // where the record starts
  std::size_t size() const { return cells_.size(); }
  std::string_view cell(std::size_t i) const {
    return std::string_view(buffer_).substr(cells_[i].begin, cells_[i].size);
  }
  std::size_t cell_line(std::size_t i) const { return cells_[i].line; }

 private:
  struct Cell {
    std::size_t begin, size, line;
    bool quoted;
  };
  bool at_line_end() const {
    return pos_ >= text_.size() || text_[pos_] == '\n' || text_[pos_] == '\r';
  }
  bool space(std::size_t p) const {
    return (text_[p] == ' ' || text_[p] == '\t') && text_[p] != delimiter_;
  }
  // Appends the line end at pos_ (if any) to the buffer when `keep`, and counts the line.
  void take_line_end(bool keep) {
    if (pos_ >= text_.size()) return;
    const char c = text_[pos_++];
    if (keep) buffer_ += c;
    if (c == '\r' && pos_ < text_.size() && text_[pos_] == '\n') {
      ++pos_;
      if (keep) buffer_ += '\n';
    }
    ++line_;
  }
  void read_record() {
    cells_.clear();
    buffer_.clear();
    record_line_ = line_;
    while (true) {
      Cell cell{buffer_.size(), 0, line_, false};
      std::size_t p = pos_;
      while (p < text_.size() && space(p)) ++p;
      if (p < text_.size() && text_[p] == '"') {
        cell.quoted = true;
        read_quoted(p + 1, cells_.size() + 1);
      } else {
        const std::size_t start = pos_;
        while (!at_line_end() && text_[pos_] != delimiter_) ++pos_;
        buffer_.append(text_.substr(start, pos_ - start));
      }
      cell.size = buffer_.size() - cell.begin;
      cells_.push_back(cell);
      if (pos_ < text_.size() && text_[pos_] == delimiter_) {
        ++pos_;
        continue;
      }
      take_line_end(false);
      return;
    }
  }
  // From just after an opening quote to just after the closing one (and any spaces after it).
  void read_quoted(std::size_t p, std::size_t column) {
    const std::size_t open_line = line_;
    pos_ = p;
    while (true) {
      if (pos_ >= text_.size())
        throw std::runtime_error(where_ + " line " + std::to_string(open_line) + ", column " +
                                 std::to_string(column) +
                                 ": a quoted field opens here and is never closed (the file "
                                 "ends inside it). Close the quote, or double a quote inside a "
                                 "quoted field (\"\")");
      const char c = text_[pos_];
      if (c == '"') {
        if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '"') {
          buffer_ += '"';
          pos_ += 2;
          continue;
        }
        ++pos_;
        break;
      }
      if (c == '\n' || c == '\r') {
        take_line_end(true);
        continue;
      }
      buffer_ += c;
      ++pos_;
    }
    while (pos_ < text_.size() && space(pos_)) ++pos_;
    if (!at_line_end() && text_[pos_] != delimiter_) {
      std::size_t end = pos_;
      while (end < text_.size() && text_[end] != delimiter_ && text_[end] != '\n' &&
             text_[end] != '\r')
        ++end;
      throw std::runtime_error(where_ + " line " + std::to_string(line_) + ", column " +
                               std::to_string(column) + ": text " +
                               csv_show(text_.substr(pos_, end - pos_)) +
                               " follows a closing quote; a quote inside a quoted field is "
                               "written twice (\"\")");
    }
  }
  bool blank() const {
    return cells_.size() == 1 && !cells_[0].quoted && csv_trim(cell(0)).empty();
  }

  std::string_view text_;
  char delimiter_;
  const std::string& where_;
  std::size_t pos_ = 0, line_ = 1, record_line_ = 1;
  std::string buffer_;
  std::vector<Cell> cells_;
};

// "1 column", "5 columns".
inline std::string csv_count(std::size_t n, const char* noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}
inline std::string csv_count(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// A cell written with a decimal comma (`5,1`, `-0,25`: an optional sign, digits, one comma,
// digits): what to write instead, for the hint. Not read as a number.
inline std::optional<std::string> csv_decimal_comma(std::string_view cell) {
  std::string_view s = csv_trim(cell);
  std::string sign;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    if (s.front() == '-') sign = "-";
    s.remove_prefix(1);
  }
  const std::size_t comma = s.find(',');
  if (comma == std::string_view::npos || comma == 0 || comma + 1 == s.size()) return std::nullopt;
  for (std::size_t i = 0; i < s.size(); ++i)
    if (i != comma && !(s[i] >= '0' && s[i] <= '9')) return std::nullopt;
  const std::string_view whole = s.substr(0, comma), fraction = s.substr(comma + 1);
  std::string fix = "write " + sign + std::string(whole) + "." + std::string(fraction);
  if (fraction.size() == 3 && whole.size() <= 3)  // 1,000: maybe a thousands separator
    fix += ", or " + sign + std::string(whole) + std::string(fraction) +
           " if the comma separates thousands";
  return fix;
}

// Whether a cell looks like a class or category name (`setosa`, `Iris-setosa`), not a mistyped
// number: it starts with a letter (or a byte of a UTF-8 character).
inline bool csv_name_like(std::string_view cell) {
  const std::string_view s = csv_trim(cell);
  if (s.empty()) return false;
  const auto c = static_cast<unsigned char>(s.front());
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

// A hint for a row of the wrong width: a common delimiter that the row (its cells joined by
// the configured delimiter, quoting aside) seems to use instead of the configured one. A
// candidate that would split the row into exactly `needed` cells wins; otherwise, for a row
// read as a single cell, the candidate that occurs most often (space last, as runs of spaces).
inline std::string csv_delimiter_hint(std::string_view row, std::size_t cells, char delimiter,
                                      std::size_t needed, std::size_t line) {
  constexpr char candidates[] = {';', '\t', '|', ','};
  auto use = [&](char c, std::size_t would) {
    const std::string shown = csv_show(std::string_view(&c, 1));
    return " Split at " + shown + " instead of " + csv_show(std::string_view(&delimiter, 1)) +
           ", line " + std::to_string(line) + " would have " + csv_count(would, "column") +
           ": if the file is " + shown + "-separated, set CsvOptions::delimiter = " + shown;
  };
  std::size_t counts[sizeof candidates] = {};
  for (std::size_t k = 0; k < sizeof candidates; ++k)
    if (candidates[k] != delimiter)
      for (char c : row) counts[k] += c == candidates[k];
  for (std::size_t k = 0; k < sizeof candidates; ++k)
    if (counts[k] > 0 && counts[k] + 1 == needed) return use(candidates[k], needed);
  std::size_t words = 0;  // runs of characters between spaces
  if (delimiter != ' ') {
    const std::string_view t = csv_trim(row);
    for (std::size_t i = 0; i < t.size(); ++i) words += t[i] != ' ' && (i == 0 || t[i - 1] == ' ');
    if (cells == 1 && words > 1 && words == needed) return use(' ', words);
  }
  if (cells != 1) return "";
  std::size_t best = sizeof candidates;
  for (std::size_t k = 0; k < sizeof candidates; ++k)
    if (counts[k] > 0 && (best == sizeof candidates || counts[k] > counts[best])) best = k;
  if (best < sizeof candidates) return use(candidates[best], counts[best] + 1);
  if (words > 1) return use(' ', words);
  return "";
}

// The record's cells joined by the delimiter, for the delimiter hint.
inline std::string csv_joined(const CsvRecords& rec, char delimiter) {
  std::string s;
  for (std::size_t i = 0; i < rec.size(); ++i) {
    if (i) s += delimiter;
    s += rec.cell(i);
  }
  return s;
}

inline bool csv_missing(std::string_view cell, const std::vector<std::string>& na_tokens) {
  const std::string_view s = csv_trim(cell);
  for (const auto& token : na_tokens)
    if (s == token) return true;
  return false;
}

// Text that counts as a name here (not a number, an out-of-range number or a decimal comma).
inline bool csv_is_text(std::string_view cell, const CsvValue& v) {
  return v.kind == CsvValue::text && !csv_decimal_comma(cell);
}

// A header name as a C++ string literal, for a hint to paste ('Species' -> "Species").
inline std::string csv_literal(std::string_view name) {
  for (char c : name)
    if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) return csv_show(name);
  return "\"" + std::string(name) + "\"";
}

// "'a', 'b', 'c'", at most `limit` of them shown.
inline std::string csv_list(const std::vector<std::string>& values, std::size_t limit = 20) {
  std::string s;
  for (std::size_t i = 0; i < values.size() && i < limit; ++i)
    s += (i ? ", " : "") + csv_show(values[i]);
  if (values.size() > limit) s += ", ... (" + std::to_string(values.size() - limit) + " more)";
  return s;
}

// Two header names that differ only in case, spaces or punctuation ('.', '_', '-').
inline bool csv_close_names(std::string_view a, std::string_view b) {
  auto key = [](std::string_view s) {
    std::string k;
    for (char c : s) {
      if (c == ' ' || c == '\t' || c == '.' || c == '_' || c == '-') continue;
      k += (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
    }
    return k;
  };
  return key(a) == key(b);
}

// The order of learned categories, a function of the set alone: by value when every category is
// a number (so 1, 2, 10 and not 1, 10, 2), else by std::string's <, byte by byte.
inline void csv_sort_categories(std::vector<std::string>& values) {
  std::vector<double> numbers;
  for (const auto& v : values) {
    const CsvValue n = csv_value(v, {});
    if (n.kind != CsvValue::number) {
      std::sort(values.begin(), values.end());
      return;
    }
    numbers.push_back(n.value);
  }
  std::vector<std::size_t> order(values.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return numbers[a] != numbers[b] ? numbers[a] < numbers[b] : values[a] < values[b];
  });
  std::vector<std::string> sorted;
  for (std::size_t i : order) sorted.push_back(std::move(values[i]));
  values = std::move(sorted);
}

// Reads cells of one kind of dataset and says what is wrong with them. `header` holds the
// header's names (null without a header); `named` means columns were chosen by name, and then
// errors name the column as well as its number.
template <class S, class Labels, class T>
struct CsvCells {
  using label_value = typename Dataset<S, Labels, T>::label_value;
  const std::string& where;
  const CsvOptions& options;
  const CsvRecords& rec;
  std::string_view text;
  const std::vector<std::string>* header;
  bool named;

  std::string at(std::size_t i) const {
    std::string s =
        where + " line " + std::to_string(rec.cell_line(i)) + ", column " + std::to_string(i + 1);
    if (named && header && i < header->size()) s += " (" + csv_show((*header)[i]) + ")";
    return s + ": ";
  }
  std::string na_list() const {
    std::string s = options.na_tokens.empty() ? "none configured" : "";
    for (std::size_t i = 0; i < options.na_tokens.size(); ++i)
      s += (i ? ", " : "") + csv_show(options.na_tokens[i]);
    return s;
  }
  // A finite number that must also fit T (a float cannot hold 1e39).
  T fits(std::size_t i, double v) const {
    if (std::fabs(v) > double(std::numeric_limits<T>::max()))
      throw std::runtime_error(at(i) + csv_show(rec.cell(i)) +
                               " is too large for the dataset's scalar type");
    return T(v);
  }
  [[noreturn]] void refuse(std::size_t i, const CsvValue& v, const std::string& expected) const {
    std::string why;
    switch (v.kind) {
      case CsvValue::out_of_range:
        why = " is outside the range of a double";
        break;
      case CsvValue::not_finite:
        why = " is not a finite number";
        break;
      case CsvValue::missing:
        why = " is a missing value (one of CsvOptions::na_tokens)";
        break;
      default:
        why = " is not a number";
        if (const auto fix = csv_decimal_comma(rec.cell(i)))
          why += " (decimal commas are not read: " + *fix + ")";
    }
    throw std::runtime_error(at(i) + csv_show(rec.cell(i)) + why + "; " + expected);
  }
  // The distinct values of column i (sorted) when every non-missing cell of it below the header
  // is text; nothing otherwise. Only for messages: it reads the text again.
  std::optional<std::vector<std::string>> text_column(std::size_t i) const {
    if (!header || i >= header->size()) return std::nullopt;
    std::set<std::string, std::less<>> seen;
    try {
      CsvRecords scan(text, options.delimiter, where);
      scan.next();  // the header
      while (scan.next()) {
        if (i >= scan.size()) return std::nullopt;
        const CsvValue v = csv_value(scan.cell(i), options.na_tokens);
        if (v.kind == CsvValue::missing) continue;
        if (!csv_is_text(scan.cell(i), v)) return std::nullopt;
        const std::string_view s = csv_trim(scan.cell(i));
        if (seen.find(s) == seen.end()) seen.emplace(s);
      }
    } catch (const std::runtime_error&) {
      return std::nullopt;
    }
    if (seen.empty()) return std::nullopt;
    std::vector<std::string> values(seen.begin(), seen.end());
    csv_sort_categories(values);
    return values;
  }
  std::string column_name(std::size_t i) const { return csv_show((*header)[i]); }
  // For a text cell where a number belongs: a hint to read the column as categories, if every
  // value in it is text.
  std::string categorical_hint(std::size_t i) const {
    const auto values = text_column(i);
    if (!values) return "";
    return ". Every value in column " + std::to_string(i + 1) + " (" + column_name(i) +
           ") is text (" + csv_count(values->size(), "distinct value") + ": " +
           csv_list(*values, 8) + "): if they are categories, add " + column_name(i) +
           " to CsvOptions::categorical to read the column as one-hot features";
  }
  T feature(std::size_t i) const {
    const CsvValue v = csv_value(rec.cell(i), options.na_tokens);
    if (v.kind == CsvValue::number) return fits(i, v.value);
    if (v.kind == CsvValue::missing) return std::numeric_limits<T>::quiet_NaN();
    refuse(i, v,
           "a feature must be a finite decimal number or a missing-value token (" + na_list() +
               "). Fix the cell, or add the text to CsvOptions::na_tokens to read it as missing "
               "(NaN)" +
               (v.kind == CsvValue::text ? categorical_hint(i) : std::string()));
  }
  // A class index in [0, classes) written as a number; `type` names the labels.
  std::int32_t class_index(std::size_t i, const std::string& type, std::size_t classes) const {
    const CsvValue v = csv_value(rec.cell(i), options.na_tokens);
    const bool number = v.kind == CsvValue::number;
    constexpr double limit = double(std::numeric_limits<std::int32_t>::max());
    const bool whole = number && v.value == std::trunc(v.value);
    if (whole && v.value >= 0 && v.value < double(classes) && v.value <= limit)
      return static_cast<std::int32_t>(v.value);
    // The reasons are built only for a label that is refused.
    const std::string count = std::to_string(classes);
    const std::string last = std::to_string(classes - 1);
    const std::string range = type + " labels are whole numbers in [0, " + count + ")";
    if (v.kind == CsvValue::missing) refuse(i, v, "a label cannot be missing (drop the row)");
    if (v.kind == CsvValue::text && csv_name_like(rec.cell(i))) {
      std::string by_name;
      if (header && i < header->size() && !named)
        by_name = "; or name the label column, CsvOptions::labels = {" + csv_literal((*header)[i]) +
                  "}, and the reader maps class names to indices itself (in sorted order)";
      refuse(i, v,
             type + " labels are class indices 0.." + last +
                 ": map class names to indices before reading (e.g. " +
                 csv_show(csv_trim(rec.cell(i))) + " -> 0)" + by_name);
    }
    if (!number) refuse(i, v, range);
    if (!whole)
      throw std::runtime_error(at(i) + "label " + csv_show(rec.cell(i)) +
                               " is not a whole number; " + type +
                               " labels are whole numbers (class indices in [0, " + count + "))");
    throw std::runtime_error(at(i) + "label " + csv_show(rec.cell(i)) + " is outside [0, " + count +
                             "); " + range +
                             (v.value == double(classes)
                                  ? ". If the file numbers classes from 1, renumber them from 0 (" +
                                        count + " is K, one past the last index " + last + ")"
                                  : std::string()));
  }
  // One label value of Labels' kind, from its own column.
  label_value label(std::size_t i) const {
    if constexpr (Labels::kind == LabelKind::class_index) {
      return class_index(i, Labels::name(), Labels::classes);
    } else {
      const CsvValue v = csv_value(rec.cell(i), options.na_tokens);
      const bool number = v.kind == CsvValue::number;
      if constexpr (Labels::kind == LabelKind::probability) {
        if (!number || !(v.value >= 0 && v.value <= 1)) {
          if (v.kind == CsvValue::missing)
            refuse(i, v, Labels::name() + " targets lie in [0, 1] and cannot be missing");
          if (!number) refuse(i, v, Labels::name() + " targets are numbers in [0, 1]");
          throw std::runtime_error(at(i) + "target " + csv_show(rec.cell(i)) +
                                   " is outside [0, 1]; " + Labels::name() +
                                   " targets lie in [0, 1] (scale them, or read Real<S>)");
        }
        return label_value(v.value);
      } else if constexpr (Labels::kind == LabelKind::binary ||
                           Labels::kind == LabelKind::multi_hot) {
        if (!number || (v.value != 0 && v.value != 1)) {
          if (v.kind == CsvValue::missing)
            refuse(i, v,
                   "a " + Labels::name() + " label is 0 or 1 and cannot be missing (drop the row)");
          if (v.kind == CsvValue::text && csv_name_like(rec.cell(i))) {
            std::string hint;
            if (const auto names = text_column(i); names && names->size() == 2)
              hint = ", or add " + column_name(i) + " to CsvOptions::categorical to read " +
                     csv_show((*names)[0]) + " as 0 and " + csv_show((*names)[1]) +
                     " as 1 (sorted; CsvCategories::set chooses another order)";
            refuse(i, v,
                   "a " + Labels::name() +
                       " label is 0 or 1: map the two class names to 0 and 1 before reading" +
                       hint);
          }
          if (!number) refuse(i, v, "a " + Labels::name() + " label is 0 or 1");
          throw std::runtime_error(at(i) + "label " + csv_show(rec.cell(i)) + " is not 0 or 1; a " +
                                   Labels::name() + " label is 0 or 1");
        }
        return label_value(v.value);
      } else {
        if (v.kind == CsvValue::missing)
          refuse(
              i, v,
              Labels::name() + " labels are finite numbers and cannot be missing (drop the row)");
        if (!number) refuse(i, v, Labels::name() + " labels are finite numbers");
        return fits(i, v.value);
      }
    }
  }
};

// Columns chosen by position: S::size features and the label columns, in the file's order.
template <class S, class Labels, class T>
Dataset<S, Labels, T> parse_csv_by_position(const char* who, std::string_view text,
                                            const CsvOptions& options, const std::string& name) {
  using D = Dataset<S, Labels, T>;
  using label_value = typename D::label_value;
  constexpr std::size_t features = S::size, label_cols = Labels::width;
  constexpr std::size_t needed = features + label_cols;
  const std::string where = std::string(who) + ": '" + name + "'";
  const char delimiter = options.delimiter;
  const std::string shape = csv_count(features, "feature") + " (" + S::to_string() + ") + " +
                            csv_count(label_cols, "label column") + " (" + Labels::name() + ")";

  if (text.empty()) throw std::runtime_error(where + " is empty: expected rows of " + shape);
  CsvRecords rec(text, delimiter, where);
  if (!rec.next())
    throw std::runtime_error(where + " holds only blank lines: expected rows of " + shape);

  auto at = [&](std::size_t i) {
    return where + " line " + std::to_string(rec.cell_line(i)) + ", column " +
           std::to_string(i + 1) + ": ";
  };
  auto joined = [&] { return csv_joined(rec, delimiter); };

  // The header: the first record, if it holds text. A cell written with a decimal comma counts
  // as a number here, so that a header-less file of them reports the comma, not a header.
  std::optional<std::size_t> text_cell, number_cell;
  for (std::size_t i = 0; i < rec.size(); ++i) {
    const CsvValue v = csv_value(rec.cell(i), options.na_tokens);
    if (v.kind == CsvValue::missing) continue;
    auto& first = csv_is_text(rec.cell(i), v) ? text_cell : number_cell;
    if (!first) first = i;
  }
  if (!options.header.has_value() && text_cell && number_cell)
    throw std::runtime_error(
        where + " line " + std::to_string(rec.line()) + " mixes numbers and text: column " +
        std::to_string(*number_cell + 1) + " holds " + csv_show(rec.cell(*number_cell)) +
        ", a number, and column " + std::to_string(*text_cell + 1) + " holds " +
        csv_show(rec.cell(*text_cell)) +
        ", which is not. It may be a header with some numeric names or a first data row with a "
        "typo, and the reader does not guess: set CsvOptions::header = true if it is a header, "
        "or header = false if it is data (then " +
        csv_show(rec.cell(*text_cell)) + " is reported as an error)");
  if (options.header == true && !text_cell)
    throw std::runtime_error(where + " line " + std::to_string(rec.line()) +
                             ": header = true, but the first row holds only numbers (and "
                             "missing values), so it is data, not a header. Leave .header "
                             "unset to detect the header, or set .header = false");
  if (options.header == false && text_cell && !number_cell)
    throw std::runtime_error(at(*text_cell) + "header = false, but the first row holds " +
                             csv_show(rec.cell(*text_cell)) +
                             ", which is not a number: it is a header. Leave .header unset to "
                             "detect the header, or set .header = true");
  const bool has_header = options.header.value_or(text_cell.has_value());
  std::size_t header_line = 0, header_cells = 0;
  bool header_first_empty = false;
  std::string header_text;
  std::vector<std::string> header;
  if (has_header) {
    header_line = rec.line();
    header_cells = rec.size();
    header_first_empty = csv_trim(rec.cell(0)).empty();
    if (header_cells == 1) header_text = joined();
    for (std::size_t i = 0; i < rec.size(); ++i) header.emplace_back(rec.cell(i));
    if (!rec.next())
      throw std::runtime_error(where + " has a header (line " + std::to_string(header_line) +
                               ") but no data rows: expected rows of " + shape);
  }
  const CsvCells<S, Labels, T> cells{where, options, rec, text, has_header ? &header : nullptr,
                                     false};

  D out;
  std::vector<T> x(features);
  std::vector<label_value> y(label_cols);
  const std::size_t f0 = options.labels_first ? label_cols : 0;
  const std::size_t l0 = options.labels_first ? 0 : features;
  // Whether the first cell of every data row so far counts the rows (from 0 or from 1), as row
  // names and an index do, and where it starts.
  bool counter = true;
  double counter_from = 0;
  constexpr const char* row_names_fix =
      ": the reader does not drop columns. Write the file without them: row.names = FALSE in "
      "R's write.csv or write.table, index=False in pandas' to_csv";
  std::size_t row = 0;
  do {
    if (counter) {
      const CsvValue v = csv_value(rec.cell(0), options.na_tokens);
      const bool counts =
          v.kind == CsvValue::number &&
          (row == 0 ? v.value == 0 || v.value == 1 : v.value == counter_from + double(row));
      if (!counts)
        counter = false;
      else if (row == 0)
        counter_from = v.value;
    }
    auto counts_rows = [&] {
      return "its first cell numbers the rows from " + std::to_string(int(counter_from));
    };
    if (row == 0 && has_header && rec.size() != header_cells) {
      std::string hint;
      if (header_cells == needed && rec.size() == needed + 1 && counter)
        hint =
            " The first column looks like row names or an index that the header does not "
            "name (" +
            counts_rows() + ")" + row_names_fix;
      else if (header_cells == 1)
        hint = csv_delimiter_hint(header_text, 1, delimiter, rec.size(), header_line);
      else if (rec.size() == 1)
        hint = csv_delimiter_hint(joined(), 1, delimiter, header_cells, rec.line());
      if (hint.empty())
        hint = " The delimiter may be wrong (CsvOptions::delimiter is " +
               csv_show(std::string_view(&delimiter, 1)) +
               "), or a name or a cell holds the delimiter without quotes";
      throw std::runtime_error(
          where + " line " + std::to_string(header_line) + " (the header) has " +
          csv_count(header_cells, "name") + " but line " + std::to_string(rec.line()) + " has " +
          csv_count(rec.size(), "column") + ": every row needs one cell per name." + hint);
    }
    if (rec.size() != needed) {
      std::string message = where + " line " + std::to_string(rec.line()) + " has " +
                            csv_count(rec.size(), "column") + " but the dataset needs " + shape;
      if (rec.size() == needed + 1 && (header_first_empty || counter))
        message +=
            ". The first column looks like row names or an index (" +
            (header_first_empty ? std::string("the header's first cell is empty") : counts_rows()) +
            ")" + row_names_fix;
      else if (const std::string hint =
                   csv_delimiter_hint(joined(), rec.size(), delimiter, needed, rec.line());
               !hint.empty())
        message += "." + hint;
      throw std::runtime_error(message);
    }
    for (std::size_t k = 0; k < features; ++k) x[k] = cells.feature(f0 + k);
    for (std::size_t k = 0; k < label_cols; ++k) y[k] = cells.label(l0 + k);
    out.push_back(x, y);
    ++row;
  } while (rec.next());
  return out;
}

// One selected column of a file read by name.
struct CsvColumnUse {
  std::size_t column = 0;    // in the file, from 0
  bool categorical = false;  // text read through `categories`
  bool detect = false;       // a label column of numbers or of class names: the file says which
  bool learn = false;        // categories learned from this file
  std::vector<std::string> categories = {};
  std::map<std::string, std::size_t, std::less<>> index = {};  // category -> its position
  std::size_t offset = 0, width = 1;                           // the values it fills in a sample
};

// Sets each feature's offset and width (one value per category for a categorical one) and
// returns the total, with the breakdown for a message ("'crim' 1, 'chas' one-hot 2 ('0', '1')").
inline std::size_t csv_expand(std::vector<CsvColumnUse>& uses,
                              const std::vector<std::string>& header, std::string& parts) {
  std::size_t width = 0;
  for (std::size_t k = 0; k < uses.size(); ++k) {
    auto& u = uses[k];
    u.offset = width;
    u.width = u.categorical ? u.categories.size() : 1;
    width += u.width;
    if (k < 40)
      parts += (k ? ", " : "") + csv_show(header[u.column]) + " " +
               (u.categorical
                    ? "one-hot " + std::to_string(u.width) + " (" + csv_list(u.categories, 6) + ")"
                    : std::string("1"));
    else if (k == 40)
      parts += ", ... (" + std::to_string(uses.size() - k) + " more columns)";
  }
  return width;
}

inline void csv_index(CsvColumnUse& u) {
  u.index.clear();
  for (std::size_t i = 0; i < u.categories.size(); ++i) u.index.emplace(u.categories[i], i);
}

template <class Cells>
[[noreturn]] void csv_unknown(const Cells& cells, const CsvColumnUse& u, std::string_view value,
                              const std::string& column, const char* what) {
  throw std::runtime_error(cells.at(u.column) + csv_show(value) + " is not one of the " +
                           csv_count(u.categories.size(), "category", "categories") + " of " +
                           csv_show(column) + " in the CsvCategories passed (" +
                           csv_list(u.categories, 30) + "). " + what);
}

// A categorical feature's cell as its one-hot values, x[0, u.width): 1 for its category, NaN in
// all of them for a missing cell, and for an unknown category an error or (if asked) zeros.
template <class Cells, class T>
void csv_one_hot(const Cells& cells, const CsvColumnUse& u, const std::string& column, T* x) {
  const std::string_view cell = cells.rec.cell(u.column);
  const bool missing = csv_missing(cell, cells.options.na_tokens);
  std::fill(x, x + u.width, missing ? std::numeric_limits<T>::quiet_NaN() : T(0));
  if (missing) return;
  const auto it = u.index.find(csv_trim(cell));
  if (it != u.index.end())
    x[it->second] = T(1);
  else if (cells.options.unknown_category != CsvUnknownCategory::zeros)
    csv_unknown(cells, u, csv_trim(cell), column,
                "A category the model was not trained on cannot be encoded: fix the cell, or set "
                "CsvOptions::unknown_category = CsvUnknownCategory::zeros to read it as all zeros");
}

// Columns chosen by header name (CsvOptions::features, labels, categorical). `keep` receives the
// categories learned from this file (on success only); `given` holds categories to apply (null:
// none); with `given` and no `keep`, nothing may be learned.
template <class S, class Labels, class T>
Dataset<S, Labels, T> parse_csv_by_name(const char* who, std::string_view text,
                                        const CsvOptions& options, const std::string& name,
                                        CsvCategories* keep, const CsvCategories* given) {
  using D = Dataset<S, Labels, T>;
  using label_value = typename D::label_value;
  constexpr std::size_t features = S::size, label_width = Labels::width;
  constexpr LabelKind kind = Labels::kind;
  const std::string where = std::string(who) + ": '" + name + "'";
  const std::string says = std::string(who) + ": ";
  const char delimiter = options.delimiter;
  const char* field = !options.features.empty() ? "features"
                      : !options.labels.empty() ? "labels"
                                                : "categorical";

  // The options alone.
  auto twice = [&](const std::vector<std::string>& list, const char* list_name) {
    for (std::size_t i = 0; i < list.size(); ++i)
      for (std::size_t j = i + 1; j < list.size(); ++j)
        if (list[i] == list[j])
          throw std::invalid_argument(says + "CsvOptions::" + list_name + " names " +
                                      csv_show(list[i]) + " twice; name each column once");
  };
  twice(options.features, "features");
  twice(options.labels, "labels");
  twice(options.categorical, "categorical");
  for (const auto& f : options.features)
    if (std::find(options.labels.begin(), options.labels.end(), f) != options.labels.end())
      throw std::invalid_argument(says + csv_show(f) +
                                  " is in both CsvOptions::features and CsvOptions::labels; a "
                                  "column is a feature or a label, not both");
  if (options.header == false)
    throw std::invalid_argument(
        says + "header = false, but CsvOptions::" + field +
        " chooses columns by header name, so the file needs a header. Leave .header unset (or "
        "true), or leave features, labels and categorical empty to read columns by position");
  if (options.labels_first && !options.labels.empty())
    throw std::invalid_argument(says +
                                "labels_first places the labels by position, but "
                                "CsvOptions::labels names them; leave labels_first false");
  if (const std::size_t n = options.labels.size(); n > 0) {
    const bool one_hot = kind == LabelKind::one_hot;
    if (!(n == label_width || (one_hot && n == 1))) {
      std::string takes;
      if (kind == LabelKind::class_index)
        takes = "1 column (a class index or a class name)";
      else if (kind == LabelKind::binary)
        takes = "1 column (0 or 1, or two class names listed in CsvOptions::categorical)";
      else if (one_hot)
        takes = "1 column (a class index or a class name) or " + std::to_string(label_width) +
                " columns (one value per class)";
      else
        takes = csv_count(label_width, "column") + " (one value each)";
      throw std::invalid_argument(says + "CsvOptions::labels names " + csv_count(n, "column") +
                                  " (" + csv_list(options.labels) + ") but " + Labels::name() +
                                  " labels take " + takes);
    }
  }

  // The header.
  if (text.empty())
    throw std::runtime_error(where + " is empty: expected a header naming the columns, then rows");
  CsvRecords rec(text, delimiter, where);
  if (!rec.next())
    throw std::runtime_error(where +
                             " holds only blank lines: expected a header naming the columns, "
                             "then rows");
  if (options.header != true) {
    bool any_text = false;
    for (std::size_t i = 0; i < rec.size(); ++i)
      any_text = any_text || csv_is_text(rec.cell(i), csv_value(rec.cell(i), options.na_tokens));
    if (!any_text)
      throw std::runtime_error(
          where + " line " + std::to_string(rec.line()) +
          " holds only numbers (and missing values), so the file has no header, but "
          "CsvOptions::" +
          field +
          " chooses columns by header name. Add a header row naming the columns, or leave "
          "features, labels and categorical empty to read columns by position (if this row "
          "is the header, set .header = true)");
  }
  const std::size_t header_line = rec.line(), header_cells = rec.size();
  std::vector<std::string> header;
  for (std::size_t i = 0; i < rec.size(); ++i) header.emplace_back(rec.cell(i));
  const std::string header_text = header_cells == 1 ? csv_joined(rec, delimiter) : "";
  if (!rec.next())
    throw std::runtime_error(where + " has a header (line " + std::to_string(header_line) +
                             ") but no data rows");
  const std::string header_at = "the header (line " + std::to_string(header_line) + ")";

  // Names to columns.
  auto column_of = [&](const std::string& wanted, const char* list_name) {
    std::vector<std::size_t> hits;
    for (std::size_t i = 0; i < header_cells; ++i)
      if (header[i] == wanted) hits.push_back(i);
    if (hits.size() == 1) return hits[0];
    if (hits.empty()) {
      std::vector<std::string> close;
      for (const auto& h : header)
        if (csv_close_names(h, wanted)) close.push_back(h);
      throw std::runtime_error(
          where + ": CsvOptions::" + list_name + " names " + csv_show(wanted) + ", but " +
          header_at + " has no such column" +
          (close.empty() ? std::string()
                         : " (did you mean " + csv_list(close) +
                               "? Names are compared exactly: case, spaces and punctuation "
                               "count)") +
          ". Its " + csv_count(header_cells, "name") + ": " + csv_list(header, 60) +
          ". Fix the name in CsvOptions::" + list_name);
    }
    std::string columns;
    for (std::size_t k = 0; k < hits.size(); ++k)
      columns += (k ? (k + 1 == hits.size() ? " and " : ", ") : "") + std::to_string(hits[k] + 1);
    throw std::runtime_error(where + ": " + header_at + " names " + std::to_string(hits.size()) +
                             " columns " + csv_show(wanted) + " (columns " + columns +
                             "), so CsvOptions::" + list_name +
                             " cannot choose one: rename them in the file");
  };
  std::vector<std::size_t> label_columns;
  std::string label_place;  // how the label columns were found, for messages
  if (!options.labels.empty()) {
    for (const auto& l : options.labels) label_columns.push_back(column_of(l, "labels"));
  } else {
    if (header_cells < label_width)
      throw std::runtime_error(where + ": " + header_at + " has " +
                               csv_count(header_cells, "name") + ", fewer than the " +
                               csv_count(label_width, "label column") + " of " + Labels::name());
    const std::size_t first = options.labels_first ? 0 : header_cells - label_width;
    for (std::size_t k = 0; k < label_width; ++k) label_columns.push_back(first + k);
    label_place = std::string(label_width == 1 ? "the label column" : "a label column") + " (the " +
                  (options.labels_first ? "first " : "last ") +
                  (label_width == 1 ? std::string("column") : csv_count(label_width, "column")) +
                  ", since CsvOptions::labels is empty)";
  }
  std::vector<char> is_label(header_cells, 0), is_feature(header_cells, 0);
  for (std::size_t c : label_columns) is_label[c] = 1;
  std::vector<CsvColumnUse> uses;  // the features, in order
  if (!options.features.empty()) {
    for (const auto& f : options.features) {
      const std::size_t c = column_of(f, "features");
      if (is_label[c])
        throw std::runtime_error(where + ": CsvOptions::features names " + csv_show(f) +
                                 ", which is " + label_place +
                                 ". Name the label column(s) in CsvOptions::labels, or leave " +
                                 csv_show(f) + " out of the features");
      uses.push_back({.column = c});
      is_feature[c] = 1;
    }
  } else {
    for (std::size_t c = 0; c < header_cells; ++c)
      if (!is_label[c]) {
        uses.push_back({.column = c});
        is_feature[c] = 1;
      }
  }
  // The label: one class column (a class index or a category), or values in their own columns.
  const bool one_column = label_columns.size() == 1;
  bool label_listed = false;
  for (const auto& c : options.categorical) {
    const std::size_t i = column_of(c, "categorical");
    if (is_label[i]) {
      label_listed = true;
      const bool takes_classes =
          one_column && (kind == LabelKind::class_index || kind == LabelKind::one_hot ||
                         kind == LabelKind::binary);
      if (!takes_classes)
        throw std::invalid_argument(
            says + "CsvOptions::categorical names the label column " + csv_show(c) + ", but " +
            Labels::name() +
            (kind == LabelKind::one_hot
                 ? " labels read from " + std::to_string(label_width) + " columns are numbers"
                 : std::string(" labels are numbers")) +
            ": a categorical label needs ClassIndex<K>, Binary, or OneHot<K> from one column");
    } else if (is_feature[i]) {
      for (auto& u : uses)
        if (u.column == i) u.categorical = true;
    } else {
      throw std::runtime_error(where + ": CsvOptions::categorical names " + csv_show(c) +
                               ", which is neither a feature nor a label (CsvOptions::features "
                               "does not name it); add it to features, or remove it from "
                               "categorical");
    }
  }
  const bool class_column =
      one_column && (kind == LabelKind::class_index ||
                     (kind == LabelKind::one_hot && (label_width > 1 || label_listed)) ||
                     (kind == LabelKind::binary && label_listed));
  CsvColumnUse label_use{.column = label_columns[0], .categorical = label_listed};
  if (class_column && !label_listed)
    label_use.detect = kind == LabelKind::class_index || kind == LabelKind::one_hot;
  const std::size_t classes = Labels::classes;

  // Which categories each categorical column takes: the given ones, or this file's.
  auto needs_categories = [&](CsvColumnUse& u) {
    const std::string& column = header[u.column];
    if (given && given->contains(column)) {
      u.categorical = true;
      u.detect = false;
      u.categories = given->at(column);
      for (const auto& c : u.categories)
        if (std::find(options.na_tokens.begin(), options.na_tokens.end(), c) !=
            options.na_tokens.end())
          throw std::invalid_argument(
              says + "category " + csv_show(c) + " of column " + csv_show(column) +
              " in the CsvCategories passed is a missing-value token, so no cell can be it; "
              "remove " +
              csv_show(c) + " from CsvOptions::na_tokens");
    } else if (u.categorical) {
      u.learn = true;
    }
  };
  for (auto& u : uses)
    if (u.categorical) needs_categories(u);
  if (class_column) needs_categories(label_use);
  auto cannot_learn = [&](const CsvColumnUse& u) {
    std::string held;
    for (const auto& [column, values] : given->columns())
      held += (held.empty() ? "" : ", ") + csv_show(column);
    throw std::invalid_argument(
        says + "the CsvCategories passed has no categories for column " +
        csv_show(header[u.column]) + " of '" + name + "' (it holds " +
        (held.empty() ? std::string("none") : held) +
        "), and being const it is only applied. Pass the CsvCategories that read the training "
        "file, or a non-const one to learn the categories from this file");
  };
  for (const auto& u : uses)
    if (u.learn && !keep && given) cannot_learn(u);
  if (label_use.learn && !keep && given) cannot_learn(label_use);

  // Every row has one cell per name.
  constexpr const char* row_names_fix =
      ": the reader does not drop columns. Write the file without them: row.names = FALSE in "
      "R's write.csv or write.table, index=False in pandas' to_csv";
  auto check_width = [&](const CsvRecords& r, std::size_t row) {
    if (r.size() == header_cells) return;
    std::string hint;
    if (row == 0) {
      const CsvValue first = csv_value(r.cell(0), options.na_tokens);
      if (r.size() == header_cells + 1 && first.kind == CsvValue::number &&
          (first.value == 0 || first.value == 1))
        hint =
            " The first column looks like row names or an index that the header does not name "
            "(its first cell numbers the rows from " +
            std::to_string(int(first.value)) + ")" + row_names_fix;
      else if (header_cells == 1)
        hint = csv_delimiter_hint(header_text, 1, delimiter, r.size(), header_line);
    }
    if (hint.empty())
      hint =
          csv_delimiter_hint(csv_joined(r, delimiter), r.size(), delimiter, header_cells, r.line());
    if (hint.empty())
      hint = " The delimiter may be wrong (CsvOptions::delimiter is " +
             csv_show(std::string_view(&delimiter, 1)) +
             "), or a name or a cell holds the delimiter without quotes";
    throw std::runtime_error(where + " line " + std::to_string(header_line) + " (the header) has " +
                             csv_count(header_cells, "name") + " but line " +
                             std::to_string(r.line()) + " has " + csv_count(r.size(), "column") +
                             ": every row needs one cell per name." + hint);
  };

  // First pass, if a column's categories come from this file or a label column may hold
  // class names: the distinct values of those columns.
  std::vector<CsvColumnUse*> scanned;
  for (auto& u : uses)
    if (u.learn) scanned.push_back(&u);
  if (class_column && (label_use.learn || label_use.detect)) scanned.push_back(&label_use);
  if (!scanned.empty()) {
    std::vector<std::set<std::string, std::less<>>> seen(scanned.size());
    std::size_t text_line = 0, number_line = 0;  // the label column's first name and number
    std::string text_cell, number_cell;
    CsvRecords scan(text, delimiter, where);
    scan.next();  // the header
    for (std::size_t row = 0; scan.next(); ++row) {
      check_width(scan, row);
      for (std::size_t k = 0; k < scanned.size(); ++k) {
        const std::size_t c = scanned[k]->column;
        const std::string_view cell = scan.cell(c);
        const CsvValue v = csv_value(cell, options.na_tokens);
        if (v.kind == CsvValue::missing) continue;
        if (scanned[k]->detect) {
          if (!csv_is_text(cell, v)) {
            if (number_line == 0) {
              number_line = scan.cell_line(c);
              number_cell = std::string(cell);
            }
            continue;
          }
          if (text_line == 0) {
            text_line = scan.cell_line(c);
            text_cell = std::string(cell);
          }
        }
        const std::string_view s = csv_trim(cell);
        if (seen[k].find(s) == seen[k].end()) seen[k].emplace(s);
      }
    }
    for (std::size_t k = 0; k < scanned.size(); ++k) {
      CsvColumnUse& u = *scanned[k];
      if (u.detect) {
        if (text_line != 0 && number_line != 0)
          throw std::runtime_error(
              where + ": the label column " + csv_show(header[u.column]) +
              " holds both class names and numbers (line " + std::to_string(text_line) + ": " +
              csv_show(text_cell) + ", line " + std::to_string(number_line) + ": " +
              csv_show(number_cell) +
              "), so it is not clear which each class is. Fix the cells, or add " +
              csv_show(header[u.column]) +
              " to CsvOptions::categorical to read every value, numbers too, as a class name");
        if (text_line == 0) {  // class indices written as numbers
          u.detect = false;
          continue;
        }
        u.detect = false;
        u.categorical = u.learn = true;
        if (!keep && given) cannot_learn(u);
      }
      u.categories.assign(seen[k].begin(), seen[k].end());
      if (u.categories.empty())
        throw std::runtime_error(where + ": column " + csv_show(header[u.column]) +
                                 " is categorical but every cell of it is missing, so it has no "
                                 "categories to learn");
      csv_sort_categories(u.categories);
    }
  }

  // The widths: each categorical feature is one value per category.
  std::string parts;
  const std::size_t width = csv_expand(uses, header, parts);
  if (width != features) {
    bool learned = false;
    for (const auto& u : uses) learned = learned || u.learn;
    std::string message = where + ": the features expand to " + csv_count(width, "value") + " (" +
                          parts + ") but the dataset's input is " + S::to_string() + " (" +
                          csv_count(features, "value") + "). Make the input Shape<" +
                          std::to_string(width) +
                          ">, or choose other columns with CsvOptions::features";
    if (!label_place.empty())
      message += " (" + csv_show(header[label_columns[0]]) + " is " + label_place + ")";
    if (learned)
      message +=
          ". The one-hot widths count the categories found in this file: if it is not the "
          "training file, pass the training file's CsvCategories so that they are the same";
    throw std::runtime_error(message);
  }
  // The number of classes.
  if (class_column && label_use.categorical) {
    const std::string& column = header[label_use.column];
    const std::size_t n = label_use.categories.size();
    const std::string found =
        csv_count(n, "class", "classes") + " (" + csv_list(label_use.categories) + ")";
    if (n > classes)
      throw std::runtime_error(
          where + ": the label column " + csv_show(column) +
          (label_use.learn ? " holds " : " has, in the CsvCategories passed, ") + found +
          ", more than the " + std::to_string(classes) + " of " + Labels::name() +
          ". A typo makes a new class: fix the cells, or make the labels " +
          (kind == LabelKind::binary
               ? std::string("ClassIndex<") + std::to_string(n) + ">"
               : Labels::name().substr(0, Labels::name().find('<') + 1) + std::to_string(n) + ">"));
    if (label_use.learn && n < classes)
      throw std::runtime_error(
          where + ": the label column " + csv_show(column) + " holds " + found + " but " +
          Labels::name() + " labels have " + std::to_string(classes) +
          ", so the index of each class would depend on which classes this file holds. Read "
          "the training file first and pass its CsvCategories here, or give every class "
          "beforehand: categories.set(" +
          csv_show(column) + ", {...})");
  }
  for (auto& u : uses)
    if (u.categorical) csv_index(u);
  if (label_use.categorical) csv_index(label_use);

  // Second pass: the samples.
  const CsvCells<S, Labels, T> cells{where, options, rec, text, &header, true};
  D out;
  std::vector<T> x(features);
  std::vector<label_value> y(label_width);
  std::size_t row = 0;
  do {
    check_width(rec, row);
    for (const auto& u : uses) {
      if (!u.categorical) {
        x[u.offset] = cells.feature(u.column);
        continue;
      }
      csv_one_hot(cells, u, header[u.column], x.data() + u.offset);
    }
    if (class_column) {
      const std::size_t c = label_use.column;
      std::size_t index = 0;
      if (label_use.categorical) {
        const std::string_view cell = rec.cell(c);
        if (csv_missing(cell, options.na_tokens))
          cells.refuse(c, {CsvValue::missing, 0}, "a label cannot be missing (drop the row)");
        const auto it = label_use.index.find(csv_trim(cell));
        if (it == label_use.index.end())
          csv_unknown(
              cells, label_use, csv_trim(cell), header[c],
              "A label must be one of the classes the model knows: fix the cell, or drop the "
              "row");
        index = it->second;
      } else {
        index = std::size_t(cells.class_index(c, Labels::name(), classes));
      }
      if constexpr (kind == LabelKind::one_hot) {
        std::fill(y.begin(), y.end(), label_value(0));
        y[index] = label_value(1);
      } else {
        y[0] = static_cast<label_value>(index);
      }
    } else {
      for (std::size_t k = 0; k < label_width; ++k) y[k] = cells.label(label_columns[k]);
    }
    out.push_back(x, y);
    ++row;
  } while (rec.next());

  if (keep) {
    for (const auto& u : uses)
      if (u.learn) keep->set(header[u.column], u.categories);
    if (label_use.learn) keep->set(header[label_use.column], label_use.categories);
  }
  return out;
}

template <class S, class Labels, class T>
Dataset<S, Labels, T> parse_csv_as(const char* who, std::string_view text,
                                   const CsvOptions& options, const std::string& name,
                                   CsvCategories* keep = nullptr,
                                   const CsvCategories* given = nullptr) {
  const char delimiter = options.delimiter;
  if (delimiter == '"' || delimiter == '\n' || delimiter == '\r')
    throw std::invalid_argument(std::string(who) + ": the delimiter cannot be " +
                                csv_show(std::string_view(&delimiter, 1)) +
                                " (it is part of the CSV syntax)");
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 byte order mark
  if (options.features.empty() && options.labels.empty() && options.categorical.empty())
    return parse_csv_by_position<S, Labels, T>(who, text, options, name);
  return parse_csv_by_name<S, Labels, T>(who, text, options, name, keep, given);
}

inline std::string read_csv_file(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (fs::is_directory(status))
    throw std::runtime_error("read_csv: '" + path + "' is a directory, not a CSV file");
  if (!fs::exists(status))
    throw std::runtime_error("read_csv: cannot open '" + path + "': no such file");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::runtime_error("read_csv: cannot open '" + path +
                             "' (it exists: is it readable by this user?)");
  std::string text;
  char chunk[1 << 14];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0)
    text.append(chunk, std::size_t(in.gcount()));
  if (in.bad()) throw std::runtime_error("read_csv: reading '" + path + "' failed");
  return text;
}

}  // namespace detail

// Parses CSV text held in memory (read_csv reads a file and calls this); `name` stands for the
// file in error messages. Throws std::runtime_error for anything wrong in the text and
// std::invalid_argument for invalid options.
template <class S, class Labels, class T = float>
Dataset<S, Labels, T> parse_csv(std::string_view text, const CsvOptions& options = {},
                                const std::string& name = "<memory>") {
  return detail::parse_csv_as<S, Labels, T>("parse_csv", text, options, name);
}
// With categories: a categorical column that `categories` holds is read with its categories; one
// it does not hold is learned from this text and added to it (only if the whole text is read).
template <class S, class Labels, class T = float>
Dataset<S, Labels, T> parse_csv(std::string_view text, const CsvOptions& options,
                                CsvCategories& categories, const std::string& name = "<memory>") {
  return detail::parse_csv_as<S, Labels, T>("parse_csv", text, options, name, &categories,
                                            &categories);
}
// With const categories: only applied; a categorical column they do not hold is an error.
template <class S, class Labels, class T = float>
Dataset<S, Labels, T> parse_csv(std::string_view text, const CsvOptions& options,
                                const CsvCategories& categories,
                                const std::string& name = "<memory>") {
  return detail::parse_csv_as<S, Labels, T>("parse_csv", text, options, name, nullptr, &categories);
}

// Each row: S::size feature values and the label columns (one class index for ClassIndex and
// Binary, K values for OneHot<K>, S'::size values for Real<S'>), by position; or the columns
// CsvOptions::features and labels name, with categorical columns expanded.
template <class S, class Labels, class T = float>
Dataset<S, Labels, T> read_csv(const std::string& path, const CsvOptions& options = {}) {
  const std::string text = detail::read_csv_file(path);
  return detail::parse_csv_as<S, Labels, T>("read_csv", text, options, path);
}
// Learns the categories of categorical columns that `categories` does not hold (a training file)
// and applies those it holds (a test file): pass the same CsvCategories to every read.
template <class S, class Labels, class T = float>
Dataset<S, Labels, T> read_csv(const std::string& path, const CsvOptions& options,
                               CsvCategories& categories) {
  const std::string text = detail::read_csv_file(path);
  return detail::parse_csv_as<S, Labels, T>("read_csv", text, options, path, &categories,
                                            &categories);
}
// Applies the categories and learns none (a categorical column they do not hold is an error).
template <class S, class Labels, class T = float>
Dataset<S, Labels, T> read_csv(const std::string& path, const CsvOptions& options,
                               const CsvCategories& categories) {
  const std::string text = detail::read_csv_file(path);
  return detail::parse_csv_as<S, Labels, T>("read_csv", text, options, path, nullptr, &categories);
}

// Encodes the rows a program serving the model receives, one at a time, exactly as read_csv
// reads a file by name with the same options and the training file's categories: `header` names
// the cells of a row (the label columns may be absent), the features are options.features (or
// every name in `header` that options.labels does not name), and categorical features are one-hot
// through `categories`, which must hold them (they are applied, never learned).
template <class S, class T = float>
class CsvRowEncoder {
 public:
  using Row = std::array<T, S::size>;

  CsvRowEncoder(std::vector<std::string> header, CsvOptions options,
                const CsvCategories& categories)
      : header_(std::move(header)), options_(std::move(options)) {
    using detail::csv_show;
    const std::string says = "CsvRowEncoder: ";
    const char delimiter = options_.delimiter;
    if (delimiter == '"' || delimiter == '\n' || delimiter == '\r')
      throw std::invalid_argument(says + "the delimiter cannot be " +
                                  csv_show(std::string_view(&delimiter, 1)) +
                                  " (it is part of the CSV syntax)");
    auto column_of = [&](const std::string& wanted, const char* list_name) {
      std::size_t hits = 0, at = 0;
      for (std::size_t i = 0; i < header_.size(); ++i)
        if (header_[i] == wanted) {
          hits += 1;
          at = i;
        }
      if (hits != 1)
        throw std::invalid_argument(
            says + "CsvOptions::" + list_name + " names " + csv_show(wanted) +
            ", which the header " +
            (hits == 0 ? "does not hold" : "holds " + std::to_string(hits) + " times") + "; its " +
            detail::csv_count(header_.size(), "name") + ": " + detail::csv_list(header_, 60));
      return at;
    };
    auto listed = [](const std::vector<std::string>& list, const std::string& name) {
      return std::find(list.begin(), list.end(), name) != list.end();
    };
    for (std::size_t i = 0; i < options_.features.size(); ++i) {
      if (listed(options_.labels, options_.features[i]) ||
          std::find(options_.features.begin() + std::ptrdiff_t(i) + 1, options_.features.end(),
                    options_.features[i]) != options_.features.end())
        throw std::invalid_argument(says + "CsvOptions::features names " +
                                    csv_show(options_.features[i]) +
                                    " twice, or as a label too; name each column once");
      uses_.push_back({.column = column_of(options_.features[i], "features")});
    }
    if (options_.features.empty())
      for (std::size_t c = 0; c < header_.size(); ++c)
        if (!listed(options_.labels, header_[c])) uses_.push_back({.column = c});
    for (const auto& name : options_.categorical) {
      if (listed(options_.labels, name)) continue;  // a label: not part of a served row
      const std::size_t c = column_of(name, "categorical");
      auto use = std::find_if(uses_.begin(), uses_.end(),
                              [&](const detail::CsvColumnUse& u) { return u.column == c; });
      if (use == uses_.end())
        throw std::invalid_argument(says + "CsvOptions::categorical names " + csv_show(name) +
                                    ", which is not a feature; add it to features, or remove it "
                                    "from categorical");
      if (!categories.contains(name))
        throw std::invalid_argument(
            says + "the CsvCategories passed has no categories for column " + csv_show(name) +
            ": pass the one read_csv filled from the training file (or CsvCategories::load of "
            "its saved file)");
      use->categorical = true;
      use->categories = categories.at(name);
      detail::csv_index(*use);
    }
    std::string parts;
    if (const std::size_t width = detail::csv_expand(uses_, header_, parts); width != S::size)
      throw std::invalid_argument(says + "the features expand to " +
                                  detail::csv_count(width, "value") + " (" + parts +
                                  ") but the model's input is " + S::to_string() + " (" +
                                  detail::csv_count(S::size, "value") +
                                  "); use the options and categories that read the training file");
  }

  // One row given as CSV text (one record; options.delimiter, RFC 4180 quoting); `name` stands
  // for it in errors. Cells are read as read_csv reads them: a number, a missing-value token
  // (NaN) or, in a categorical column, a known category (or zeros if options.unknown_category
  // says so); anything else is a std::runtime_error naming the column and the text.
  Row encode_csv(std::string_view line, const std::string& name = "row") const {
    const std::string where = "CsvRowEncoder: '" + name + "'";
    detail::CsvRecords rec(line, options_.delimiter, where);
    if (!rec.next())
      throw std::runtime_error(where + " is empty: expected one row of " +
                               detail::csv_count(header_.size(), "cell"));
    if (rec.size() != header_.size())
      throw std::runtime_error(
          where + " has " + detail::csv_count(rec.size(), "cell") + " but the header names " +
          detail::csv_count(header_.size(), "column") + " (" + detail::csv_list(header_, 60) + ")");
    Row x{};
    const detail::CsvCells<S, Real<Shape<1>>, T> cells{where, options_, rec, "", &header_, true};
    for (const auto& u : uses_) {
      if (u.categorical)
        detail::csv_one_hot(cells, u, header_[u.column], x.data() + u.offset);
      else
        x[u.offset] = cells.feature(u.column);
    }
    if (rec.next())
      throw std::runtime_error(where + " holds more than one row (another starts on line " +
                               std::to_string(rec.line()) + "); encode one row at a time");
    return x;
  }
  // One row given as its cells, one per header name.
  Row encode(const std::vector<std::string>& cells, const std::string& name = "row") const {
    if (cells.size() != header_.size())
      throw std::runtime_error("CsvRowEncoder: '" + name + "' has " +
                               detail::csv_count(cells.size(), "cell") + " but the header names " +
                               detail::csv_count(header_.size(), "column") + " (" +
                               detail::csv_list(header_, 60) + ")");
    std::string line;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      if (i) line += options_.delimiter;
      line += '"';
      for (char c : cells[i]) line += c == '"' ? std::string("\"\"") : std::string(1, c);
      line += '"';
    }
    return encode_csv(line, name);
  }
  const std::vector<std::string>& header() const { return header_; }

 private:
  std::vector<std::string> header_;
  CsvOptions options_;
  std::vector<detail::CsvColumnUse> uses_;
};

}  // namespace tensorguard::data
