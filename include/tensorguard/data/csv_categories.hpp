// CsvCategories: the categories of a CSV file's text columns (column name -> ordered list of
// category strings), learned from a training file by read_csv and applied unchanged to test
// files and to the rows a serving program reads, so that every file encodes a category at the
// same index. save and load keep it in a checked text file:
//
//   tensorguard-csv-categories 1 <columns>
//   column "<name>" <categories>
//   "<category>"
//   ...
//
// Strings are written between double quotes, with \" \\ \n \r \t and \xHH (other control bytes
// and bytes that are not UTF-8) escaped, so any string reads back exactly. Reading refuses
// anything else, naming the file and the line. docs/data.md describes the rules.
#pragma once
#include <charconv>
#include <cstddef>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "../detail/file_io.hpp"

namespace tensorguard::data {

namespace detail {

// The length of the valid UTF-8 sequence starting at s[i] (a byte >= 0x80), or 0 if there is
// none: no overlong forms, no surrogates, nothing above U+10FFFF.
inline std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  return n;
}

// A string between double quotes, escaped so that the line holds only printable text.
inline std::string categories_quote(std::string_view s) {
  const char* hex = "0123456789abcdef";
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c >= 0x80) {
      if (const std::size_t n = utf8_length(s, i); n > 0) {
        out.append(s.substr(i, n));
        i += n - 1;
      } else {
        out += "\\x";
        out += hex[c >> 4];
        out += hex[c & 15];
      }
    } else if (c < 0x20 || c == 0x7F) {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += char(c);
    }
  }
  return out + "\"";
}

// Reads the quoted string at line[pos] (which must be '"') into `out` and moves pos past the
// closing quote. Returns why it cannot, or an empty string.
inline std::string categories_unquote(std::string_view line, std::size_t& pos, std::string& out) {
  out.clear();
  if (pos >= line.size() || line[pos] != '"') return "expected a string in double quotes";
  ++pos;
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  while (true) {
    if (pos >= line.size()) return "the string has no closing quote";
    const auto c = static_cast<unsigned char>(line[pos]);
    if (c == '"') {
      ++pos;
      return "";
    }
    if (c == '\\') {
      if (pos + 1 >= line.size()) return "the line ends inside an escape";
      const char e = line[pos + 1];
      pos += 2;
      if (e == '"' || e == '\\') {
        out += e;
      } else if (e == 'n') {
        out += '\n';
      } else if (e == 'r') {
        out += '\r';
      } else if (e == 't') {
        out += '\t';
      } else if (e == 'x') {
        const int h = pos + 1 < line.size() ? hex(line[pos]) : -1;
        const int l = pos + 1 < line.size() ? hex(line[pos + 1]) : -1;
        if (h < 0 || l < 0) return "\\x must be followed by two hexadecimal digits";
        out += char(h * 16 + l);
        pos += 2;
      } else {
        return std::string("unknown escape \\") + (e >= 0x20 && e < 0x7F ? std::string(1, e) : "") +
               " (the escapes are \\\" \\\\ \\n \\r \\t \\xHH)";
      }
      continue;
    }
    if (c < 0x20 || c == 0x7F) return "a control byte inside the string (write it as \\xHH)";
    if (c >= 0x80) {
      const std::size_t n = utf8_length(line, pos);
      if (n == 0) return "bytes that are not UTF-8 inside the string (write them as \\xHH)";
      out.append(line.substr(pos, n));
      pos += n;
      continue;
    }
    out += char(c);
    ++pos;
  }
}

// A whole number of decimal digits at line[pos..] in [1, limit]; moves pos past it.
inline std::optional<std::size_t> categories_count(std::string_view line, std::size_t& pos,
                                                   std::size_t limit) {
  std::size_t end = pos;
  while (end < line.size() && line[end] >= '0' && line[end] <= '9') ++end;
  if (end == pos || end - pos > 12) return std::nullopt;
  std::size_t n = 0;
  std::from_chars(line.data() + pos, line.data() + end, n);
  pos = end;
  if (n < 1 || n > limit) return std::nullopt;
  return n;
}

// A string for a message: quoted, escaped as in the file, at most 40 bytes of it shown.
inline std::string categories_show(std::string_view s) {
  std::string q = categories_quote(s.substr(0, 40));
  if (s.size() > 40) q += "...";
  return q;
}

}  // namespace detail

class CsvCategories {
 public:
  using Columns = std::map<std::string, std::vector<std::string>, std::less<>>;
  static constexpr std::size_t max_columns = 1000000, max_categories = 100000000;

  CsvCategories() = default;

  bool contains(std::string_view column) const { return columns_.find(column) != columns_.end(); }
  // The categories of a column, in index order; std::out_of_range naming the column if absent.
  const std::vector<std::string>& at(std::string_view column) const {
    const auto it = columns_.find(column);
    if (it == columns_.end())
      throw std::out_of_range("CsvCategories: no categories for column " +
                              detail::categories_show(column) + " (it holds " + names() + ")");
    return it->second;
  }
  // Sets (or replaces) a column's categories, in the order that gives their indices. Refused
  // (std::invalid_argument): an empty list, a category given twice, and one that starts or ends
  // with a space or a tab (cells are compared after trimming them, so it would never match).
  void set(std::string column, std::vector<std::string> categories) {
    if (const std::string why = check(categories); !why.empty())
      throw std::invalid_argument("CsvCategories::set: column " + detail::categories_show(column) +
                                  ": " + why);
    columns_[std::move(column)] = std::move(categories);
  }
  bool erase(std::string_view column) {
    const auto it = columns_.find(column);
    if (it == columns_.end()) return false;
    columns_.erase(it);
    return true;
  }
  std::size_t size() const { return columns_.size(); }
  bool empty() const { return columns_.empty(); }
  const Columns& columns() const { return columns_; }
  // The index of a value (compared after trimming spaces and tabs, as read_csv does) in a
  // column's categories; nullopt if the column or the value is unknown.
  std::optional<std::size_t> index(std::string_view column, std::string_view value) const {
    const auto it = columns_.find(column);
    if (it == columns_.end()) return std::nullopt;
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    for (std::size_t i = 0; i < it->second.size(); ++i)
      if (it->second[i] == value) return i;
    return std::nullopt;
  }

  // Writes the categories to a file (atomically: a crash leaves the previous file intact).
  void save(const std::string& path) const {
    if (columns_.empty())
      throw std::logic_error(
          "CsvCategories::save: there are no categories to save; read the "
          "training file with this CsvCategories first (read_csv(path, "
          "options, categories))");
    std::string text = "tensorguard-csv-categories 1 " + std::to_string(columns_.size()) + "\n";
    for (const auto& [column, categories] : columns_) {
      text += "column " + detail::categories_quote(column) + " " +
              std::to_string(categories.size()) + "\n";
      for (const auto& c : categories) text += detail::categories_quote(c) + "\n";
    }
    tensorguard::detail::write_file_atomically(
        path,
        std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(text.data()),
                                       text.size()),
        "CsvCategories::save");
  }

  // Reads a file written by save. Anything else is refused (std::runtime_error) naming the file
  // and the line: another header or version, a count that is not a whole number in range, a
  // string that is not quoted or escaped as save writes it, a column or a category given twice,
  // a category with spaces around it, missing lines and trailing text.
  static CsvCategories load(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("CsvCategories::load: cannot read '" + path + "'");
    std::size_t number = 0;
    auto refuse = [&](const std::string& why) {
      throw std::runtime_error("CsvCategories::load: '" + path + "' line " +
                               std::to_string(number) + ": " + why);
    };
    std::string line;
    auto next = [&]() {
      if (!std::getline(in, line)) return false;
      ++number;
      if (!line.empty() && line.back() == '\r') line.pop_back();  // CRLF
      return true;
    };
    const std::string magic = "tensorguard-csv-categories ";
    if (!next()) {
      number = 1;
      refuse("empty file; expected 'tensorguard-csv-categories 1 <columns>'");
    }
    if (line.compare(0, magic.size(), magic) != 0)
      refuse(
          "not a tensorguard CSV categories file (expected 'tensorguard-csv-categories 1 "
          "<columns>')");
    const std::size_t space = line.find(' ', magic.size());
    const std::string version = line.substr(magic.size(), space - magic.size());
    if (version != "1")
      refuse("version " + detail::categories_show(version) + ", this library reads 1");
    std::size_t pos = space == std::string::npos ? line.size() : space + 1;
    const std::string shown = line.substr(pos);
    const auto columns = detail::categories_count(line, pos, max_columns);
    if (!columns || pos != line.size())
      refuse("the column count " + detail::categories_show(shown) +
             " is not a whole number in [1, " + std::to_string(max_columns) + "]");
    CsvCategories out;
    std::map<std::string, std::size_t, std::less<>> column_lines;
    for (std::size_t c = 0; c < *columns; ++c) {
      if (!next())
        refuse("the file ends after " + std::to_string(c) + " of " + std::to_string(*columns) +
               " columns; expected 'column \"<name>\" <categories>'");
      std::string column;
      pos = 0;
      if (line.compare(0, 7, "column ") != 0)
        refuse("expected 'column \"<name>\" <categories>' (column " + std::to_string(c + 1) +
               " of " + std::to_string(*columns) + "), got " + detail::categories_show(line));
      pos = 7;
      if (const std::string why = detail::categories_unquote(line, pos, column); !why.empty())
        refuse("the column name: " + why);
      if (pos >= line.size() || line[pos] != ' ')
        refuse("expected a space and the number of categories after the column name");
      ++pos;
      const auto count = detail::categories_count(line, pos, max_categories);
      if (!count || pos != line.size())
        refuse("the category count of column " + detail::categories_show(column) +
               " is not a whole number in [1, " + std::to_string(max_categories) + "]");
      if (const auto seen = column_lines.find(column); seen != column_lines.end())
        refuse("column " + detail::categories_show(column) + " appears twice (first on line " +
               std::to_string(seen->second) + ")");
      column_lines.emplace(column, number);
      std::vector<std::string> categories;
      std::map<std::string, std::size_t, std::less<>> category_lines;
      for (std::size_t k = 0; k < *count; ++k) {
        if (!next())
          refuse("the file ends after " + std::to_string(k) + " of " + std::to_string(*count) +
                 " categories of column " + detail::categories_show(column));
        std::string category;
        pos = 0;
        if (const std::string why = detail::categories_unquote(line, pos, category); !why.empty())
          refuse("category " + std::to_string(k + 1) + " of " + std::to_string(*count) +
                 " of column " + detail::categories_show(column) + ": " + why);
        if (pos != line.size())
          refuse("unexpected text " + detail::categories_show(line.substr(pos)) +
                 " after the category");
        if (const auto seen = category_lines.find(category); seen != category_lines.end())
          refuse("category " + detail::categories_show(category) + " of column " +
                 detail::categories_show(column) + " appears twice (first on line " +
                 std::to_string(seen->second) + ")");
        if (const std::string why = check_one(category); !why.empty()) refuse(why);
        category_lines.emplace(category, number);
        categories.push_back(std::move(category));
      }
      out.columns_.emplace(std::move(column), std::move(categories));
    }
    while (next())
      if (line.find_first_not_of(" \t") != std::string::npos)
        refuse("unexpected text after the " + std::to_string(*columns) +
               " columns: " + detail::categories_show(line));
    if (in.bad()) throw std::runtime_error("CsvCategories::load: reading '" + path + "' failed");
    return out;
  }

  friend bool operator==(const CsvCategories&, const CsvCategories&) = default;

 private:
  static std::string check_one(const std::string& c) {
    if (!c.empty() &&
        (c.front() == ' ' || c.front() == '\t' || c.back() == ' ' || c.back() == '\t'))
      return "category " + detail::categories_show(c) +
             " starts or ends with a space or a tab; cells are compared after trimming them, so "
             "it would never match. Trim it";
    return "";
  }
  static std::string check(const std::vector<std::string>& categories) {
    if (categories.empty()) return "no categories; a column has at least one";
    std::map<std::string_view, std::size_t> seen;
    for (std::size_t i = 0; i < categories.size(); ++i) {
      if (const std::string why = check_one(categories[i]); !why.empty()) return why;
      const auto [it, fresh] = seen.emplace(categories[i], i);
      if (!fresh)
        return "category " + detail::categories_show(categories[i]) + " is given twice (at " +
               std::to_string(it->second) + " and " + std::to_string(i) + ")";
    }
    return "";
  }
  std::string names() const {
    if (columns_.empty()) return "no columns";
    std::string s;
    std::size_t shown = 0;
    for (const auto& entry : columns_) {
      if (shown == 20) {
        s += ", ... (" + std::to_string(columns_.size() - shown) + " more)";
        break;
      }
      s += (shown++ ? ", " : "") + detail::categories_show(entry.first);
    }
    return s;
  }

  Columns columns_;
};

}  // namespace tensorguard::data
