// CSV files of numeric features followed (or preceded) by labels.
//
// The reader follows RFC 4180 (quoted fields may hold the delimiter, doubled quotes and line
// breaks), accepts LF, CRLF and CR-only line ends and skips a UTF-8 byte order mark. A number
// must fill its whole cell: a feature cell that is not a number or a missing-value token, or a
// label cell that is not a valid label, is an error naming the file, the line, the column and
// the text. docs/data.md describes the rules.
#pragma once
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "dataset.hpp"

namespace tensorguard::data {

struct CsvOptions {
  char delimiter = ',';
  // Whether the first row is a header. Unset: a first row of numbers and missing-value tokens is
  // data, one of text (and missing-value tokens) is a header, and one that mixes numbers and text
  // is an error asking to set this. true: the first row must hold text. false: the first row
  // must hold a number (a row of text only is a header, an error).
  std::optional<bool> header = std::nullopt;
  bool labels_first = false;  // labels in the first columns instead of the last
  // Cells that mean "missing" (compared after trimming spaces and tabs, case-sensitive): NaN in a
  // feature cell, an error in a label cell. Assigning a list replaces these defaults; to add a
  // token, push_back onto them.
  std::vector<std::string> na_tokens = {"",     "NA",   "N/A",  "n/a",  "NaN",  "nan",
                                        "-nan", "NULL", "null", "None", "#N/A", "?"};
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

template <class S, class Labels, class T>
Dataset<S, Labels, T> parse_csv_as(const char* who, std::string_view text,
                                   const CsvOptions& options, const std::string& name) {
  using D = Dataset<S, Labels, T>;
  using label_value = typename D::label_value;
  constexpr std::size_t features = S::size, label_cols = Labels::width;
  constexpr std::size_t needed = features + label_cols;
  const std::string where = std::string(who) + ": '" + name + "'";
  const char delimiter = options.delimiter;
  if (delimiter == '"' || delimiter == '\n' || delimiter == '\r')
    throw std::invalid_argument(std::string(who) + ": the delimiter cannot be " +
                                csv_show(std::string_view(&delimiter, 1)) +
                                " (it is part of the CSV syntax)");
  const std::string shape = csv_count(features, "feature") + " (" + S::to_string() + ") + " +
                            csv_count(label_cols, "label column") + " (" + Labels::name() + ")";

  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 byte order mark
  if (text.empty()) throw std::runtime_error(where + " is empty: expected rows of " + shape);
  CsvRecords rec(text, delimiter, where);
  if (!rec.next())
    throw std::runtime_error(where + " holds only blank lines: expected rows of " + shape);

  auto at = [&](std::size_t i) {
    return where + " line " + std::to_string(rec.cell_line(i)) + ", column " +
           std::to_string(i + 1) + ": ";
  };
  auto na_list = [&] {
    std::string s = options.na_tokens.empty() ? "none configured" : "";
    for (std::size_t i = 0; i < options.na_tokens.size(); ++i)
      s += (i ? ", " : "") + csv_show(options.na_tokens[i]);
    return s;
  };
  auto joined = [&] {  // the record's cells joined by the delimiter, for the delimiter hint
    std::string s;
    for (std::size_t i = 0; i < rec.size(); ++i) {
      if (i) s += delimiter;
      s += rec.cell(i);
    }
    return s;
  };

  // The header: the first record, if it holds text. A cell written with a decimal comma counts
  // as a number here, so that a header-less file of them reports the comma, not a header.
  std::optional<std::size_t> text_cell, number_cell;
  for (std::size_t i = 0; i < rec.size(); ++i) {
    const CsvValue v = csv_value(rec.cell(i), options.na_tokens);
    if (v.kind == CsvValue::missing) continue;
    const bool is_text = v.kind == CsvValue::text && !csv_decimal_comma(rec.cell(i));
    auto& first = is_text ? text_cell : number_cell;
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
  if (has_header) {
    header_line = rec.line();
    header_cells = rec.size();
    header_first_empty = csv_trim(rec.cell(0)).empty();
    if (header_cells == 1) header_text = joined();
    if (!rec.next())
      throw std::runtime_error(where + " has a header (line " + std::to_string(header_line) +
                               ") but no data rows: expected rows of " + shape);
  }

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
    // A finite number that must also fit T (a float cannot hold 1e39).
    auto fits = [&](std::size_t i, double v) {
      if (std::fabs(v) > double(std::numeric_limits<T>::max()))
        throw std::runtime_error(at(i) + csv_show(rec.cell(i)) +
                                 " is too large for the dataset's scalar type");
      return T(v);
    };
    auto refuse = [&](std::size_t i, const CsvValue& v, const std::string& expected) {
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
    };
    for (std::size_t k = 0; k < features; ++k) {
      const std::size_t i = f0 + k;
      const CsvValue v = csv_value(rec.cell(i), options.na_tokens);
      if (v.kind == CsvValue::number)
        x[k] = fits(i, v.value);
      else if (v.kind == CsvValue::missing)
        x[k] = std::numeric_limits<T>::quiet_NaN();
      else
        refuse(i, v,
               "a feature must be a finite decimal number or a missing-value token (" + na_list() +
                   "). Fix the cell, or add the text to CsvOptions::na_tokens to read it as "
                   "missing (NaN)");
    }
    // The reasons are built only for a label that is refused.
    for (std::size_t k = 0; k < label_cols; ++k) {
      const std::size_t i = l0 + k;
      const CsvValue v = csv_value(rec.cell(i), options.na_tokens);
      const bool number = v.kind == CsvValue::number;
      if constexpr (Labels::kind == LabelKind::class_index) {
        constexpr double limit = double(std::numeric_limits<std::int32_t>::max());
        const bool whole = number && v.value == std::trunc(v.value);
        if (!whole || v.value < 0 || v.value >= double(Labels::classes) || v.value > limit) {
          const std::string classes = std::to_string(Labels::classes);
          const std::string last = std::to_string(Labels::classes - 1);
          const std::string range =
              Labels::name() + " labels are whole numbers in [0, " + classes + ")";
          if (v.kind == CsvValue::missing) refuse(i, v, "a label cannot be missing (drop the row)");
          if (v.kind == CsvValue::text && csv_name_like(rec.cell(i)))
            refuse(i, v,
                   Labels::name() + " labels are class indices 0.." + last +
                       ": map class names to indices before reading (e.g. " +
                       csv_show(csv_trim(rec.cell(i))) + " -> 0)");
          if (!number) refuse(i, v, range);
          if (!whole)
            throw std::runtime_error(at(i) + "label " + csv_show(rec.cell(i)) +
                                     " is not a whole number; " + Labels::name() +
                                     " labels are whole numbers (class indices in [0, " + classes +
                                     "))");
          throw std::runtime_error(
              at(i) + "label " + csv_show(rec.cell(i)) + " is outside [0, " + classes + "); " +
              range +
              (v.value == double(Labels::classes)
                   ? ". If the file numbers classes from 1, renumber them from 0 (" + classes +
                         " is K, one past the last index " + last + ")"
                   : std::string()));
        }
        y[k] = static_cast<label_value>(v.value);
      } else if constexpr (Labels::kind == LabelKind::probability) {
        if (!number || !(v.value >= 0 && v.value <= 1)) {
          if (v.kind == CsvValue::missing)
            refuse(i, v, Labels::name() + " targets lie in [0, 1] and cannot be missing");
          if (!number) refuse(i, v, Labels::name() + " targets are numbers in [0, 1]");
          throw std::runtime_error(at(i) + "target " + csv_show(rec.cell(i)) +
                                   " is outside [0, 1]; " + Labels::name() +
                                   " targets lie in [0, 1] (scale them, or read Real<S>)");
        }
        y[k] = label_value(v.value);
      } else if constexpr (Labels::kind == LabelKind::binary ||
                           Labels::kind == LabelKind::multi_hot) {
        if (!number || (v.value != 0 && v.value != 1)) {
          if (v.kind == CsvValue::missing)
            refuse(i, v,
                   "a " + Labels::name() + " label is 0 or 1 and cannot be missing (drop the row)");
          if (v.kind == CsvValue::text && csv_name_like(rec.cell(i)))
            refuse(i, v,
                   "a " + Labels::name() +
                       " label is 0 or 1: map the two class names to 0 and 1 before reading");
          if (!number) refuse(i, v, "a " + Labels::name() + " label is 0 or 1");
          throw std::runtime_error(at(i) + "label " + csv_show(rec.cell(i)) + " is not 0 or 1; a " +
                                   Labels::name() + " label is 0 or 1");
        }
        y[k] = label_value(v.value);
      } else {
        if (v.kind == CsvValue::missing)
          refuse(
              i, v,
              Labels::name() + " labels are finite numbers and cannot be missing (drop the row)");
        if (!number) refuse(i, v, Labels::name() + " labels are finite numbers");
        y[k] = fits(i, v.value);
      }
    }
    out.push_back(x, y);
    ++row;
  } while (rec.next());
  return out;
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

// Each row: S::size feature values and the label columns (one class index for ClassIndex and
// Binary, K values for OneHot<K>, S'::size values for Real<S'>).
template <class S, class Labels, class T = float>
Dataset<S, Labels, T> read_csv(const std::string& path, const CsvOptions& options = {}) {
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
  return detail::parse_csv_as<S, Labels, T>("read_csv", text, options, path);
}

}  // namespace tensorguard::data
