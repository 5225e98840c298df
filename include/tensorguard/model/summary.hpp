// A Keras-like summary table: layer, output shape, parameters, and the model's static facts.
#pragma once
#include <algorithm>
#include <cstdio>
#include <ostream>
#include <string>
#include <vector>

#include "../detail/layer.hpp"

namespace tensorguard::detail {

inline std::string with_commas(std::size_t v) {
  const std::string digits = std::to_string(v);
  std::string s;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) s += ',';
    s += digits[i];
  }
  return s;
}

inline std::string human_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB"};
  int u = 0;
  while (bytes >= 1024 && u < 3) bytes /= 1024, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, u ? "%.2f %s" : "%.0f %s", bytes, units[u]);
  return buf;
}

struct SummaryFacts {
  std::string title;
  std::string input_shape;
  std::size_t parameters, state, scalar_bytes, activation_bytes_per_sample;
  double flops_per_sample;
};

inline void print_summary(std::ostream& out, const SummaryFacts& f,
                          const std::vector<LayerRecord>& records) {
  // Column widths from the longest entry: layer numbers of any length ("9", "12", "4.1.2") and
  // long shapes keep the columns aligned.
  std::size_t path_w = 1, shape_w = f.input_shape.size();
  for (const auto& r : records) {
    path_w = std::max(path_w, r.path.size() + 2 * std::size_t(r.depth));
    shape_w = std::max(shape_w, dims_string(r.output_dims).size());
  }
  auto label = [&](std::string path, const std::string& kind, int depth) {
    path.insert(0, 2 * std::size_t(depth), ' ');
    path.resize(path_w, ' ');
    return path + "  " + kind;
  };
  std::size_t kind_w = 20;
  for (const auto& r : records)
    kind_w = std::max(kind_w, label(r.path, r.kind, r.depth).size() + 2);
  shape_w = std::max<std::size_t>(shape_w + 2, 22);
  const std::size_t param_w = 12;
  const std::string rule(kind_w + shape_w + param_w, '-');
  auto row = [&](std::string a, std::string b, std::string c) {
    a.resize(kind_w, ' ');
    b.resize(shape_w, ' ');
    c.insert(0, param_w > c.size() ? param_w - c.size() : 0, ' ');
    out << a << b << c << '\n';
  };
  out << f.title << '\n' << rule << '\n';
  row("Layer (kind)", "Output shape", "Params");
  out << std::string(rule.size(), '=') << '\n';
  row(label("1", "Input", 0), f.input_shape, "0");
  for (const auto& r : records)
    row(label(r.path, r.kind, r.depth), dims_string(r.output_dims),
        with_commas(r.parameters + r.state));
  out << std::string(rule.size(), '=') << '\n';
  out << "Total params: " << with_commas(f.parameters + f.state) << " ("
      << human_bytes(double((f.parameters + f.state) * f.scalar_bytes)) << ")\n";
  out << "Trainable params: " << with_commas(f.parameters) << '\n';
  out << "Non-trainable params: " << with_commas(f.state) << '\n';
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.3g", f.flops_per_sample / 1e6);
  out << "Forward FLOPs per sample: " << buf
      << " M; training memory per sample: " << human_bytes(double(f.activation_bytes_per_sample))
      << '\n'
      << rule << '\n';
}

}  // namespace tensorguard::detail
