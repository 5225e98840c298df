// CSV files of numeric features followed (or preceded) by labels.
#pragma once
#include <cstdlib>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "dataset.hpp"

namespace tensorguard::data {

struct CsvOptions {
  char delimiter = ',';
  bool header = true;         // skip the first line
  bool labels_first = false;  // labels in the first columns instead of the last
};

// Each row: S::size feature values and the label columns (one class index for ClassIndex and
// Binary, K values for OneHot<K>, S'::size values for Real<S'>).
template <class S, class Labels, class T = float>
Dataset<S, Labels, T> read_csv(const std::string& path, CsvOptions options = {}) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("read_csv: cannot open '" + path + "'");
  using D = Dataset<S, Labels, T>;
  constexpr std::size_t features = S::size, label_cols = Labels::width;
  D out;
  std::string line;
  std::vector<double> cells;
  std::vector<T> x(features);
  std::vector<typename D::label_value> y(label_cols);
  std::size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if ((line_no == 1 && options.header) || line.empty()) continue;
    cells.clear();
    std::size_t start = 0;
    while (true) {
      const std::size_t end = line.find(options.delimiter, start);
      const std::string_view cell(line.data() + start,
                                  (end == std::string::npos ? line.size() : end) - start);
      // An empty or non-numeric cell is a missing value: NaN, caught by the data guards.
      double v = std::numeric_limits<double>::quiet_NaN();
      std::string text(cell);
      if (!text.empty()) {
        char* stop = nullptr;
        v = std::strtod(text.c_str(), &stop);
        if (stop == text.c_str()) v = std::numeric_limits<double>::quiet_NaN();
      }
      cells.push_back(v);
      if (end == std::string::npos) break;
      start = end + 1;
    }
    if (cells.size() != features + label_cols)
      throw std::runtime_error(
          "read_csv: '" + path + "' line " + std::to_string(line_no) + " has " +
          std::to_string(cells.size()) + " columns but the dataset needs " +
          std::to_string(features) + " features (" + S::to_string() + ") + " +
          std::to_string(label_cols) + " label columns (" + Labels::name() + ")");
    const std::size_t f0 = options.labels_first ? label_cols : 0;
    const std::size_t l0 = options.labels_first ? 0 : features;
    for (std::size_t i = 0; i < features; ++i) x[i] = T(cells[f0 + i]);
    for (std::size_t i = 0; i < label_cols; ++i)
      y[i] = static_cast<typename D::label_value>(cells[l0 + i]);
    out.push_back(x, y);
  }
  return out;
}

}  // namespace tensorguard::data
