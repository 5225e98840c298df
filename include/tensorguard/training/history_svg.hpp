// History as a picture: the curves of every epoch as a standalone SVG file (History::svg,
// History::write_svg). No dependency: the file is written as text, the same history gives the
// same bytes, and no number goes through a locale.
//
// What is drawn, top to bottom: a title; a panel for the loss (loss and val_loss on the left
// axis, the learning rate on a right axis); one panel shared by accuracy and the metrics that are
// fractions (a name with accuracy, precision, recall, f1, auc or iou, every value in [0, 1]); one
// for per-class metrics (recall_0, recall_1, ...); one for each other metric. Training solid,
// validation dashed, in the same colour; NaN (no validation data, a metric missing that epoch)
// leaves a gap; a run of one epoch is a marker; a value far off the others (a first loss of 1e6)
// is drawn at the frame's edge rather than flattening the rest (robust_range). docs/training.md.
#pragma once
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "epoch_logs.hpp"

namespace tensorguard {

// History::svg / write_svg settings: history.write_svg("h.svg", {.title = "CNN, batch 64"}).
struct HistorySvgOptions {
  std::string title = "Training history";
  int width = 800;        // pixels, at least 400
  int plot_height = 200;  // pixels of each panel's plotting area, at least 80
};

namespace detail {

// The shortest text that reads back as the same value: as a float when the value is one (a
// learning rate set as 1e-3f prints 0.001, not 0.00100000005), else as a double.
inline std::string shortest(double v) {
  char buf[32];
  const auto f = static_cast<float>(v);
  const auto end = double(f) == v ? std::to_chars(buf, buf + sizeof buf, f).ptr
                                  : std::to_chars(buf, buf + sizeof buf, v).ptr;
  return std::string(buf, end);
}

namespace svg {

// Text for XML content and attribute values: the five special characters as entities, control
// characters and bytes that are not UTF-8 as U+FFFD (an XML parser refuses both).
inline std::string escape(std::string_view s) {
  static constexpr std::string_view replacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '&':
          out += "&amp;";
          break;
        case '<':
          out += "&lt;";
          break;
        case '>':
          out += "&gt;";
          break;
        case '"':
          out += "&quot;";
          break;
        case '\'':
          out += "&apos;";
          break;
        default:
          if (c < 0x20 || c == 0x7f)
            out += replacement;
          else
            out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    // A UTF-8 sequence: its length from the lead byte, continuation bytes 10xxxxxx, no overlong
    // forms, no surrogates, nothing above U+10FFFF.
    std::size_t n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c <= 0xDF ? 2 : 0;
    if (c > 0xF4) n = 0;
    bool ok = n != 0 && i + n <= s.size();
    for (std::size_t k = 1; ok && k < n; ++k)
      ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    if (ok && n >= 3) {
      const auto c1 = static_cast<unsigned char>(s[i + 1]);
      if (c == 0xE0 && c1 < 0xA0) ok = false;   // overlong
      if (c == 0xED && c1 >= 0xA0) ok = false;  // surrogate
      if (c == 0xF0 && c1 < 0x90) ok = false;   // overlong
      if (c == 0xF4 && c1 >= 0x90) ok = false;  // above U+10FFFF
    }
    if (ok) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out += replacement;
      ++i;
    }
  }
  return out;
}

// Fixed notation with `decimals` digits after the point ("-0.00" is "0.00").
inline std::string fixed(double v, int decimals) {
  char buf[400];
  const auto end = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, decimals).ptr;
  std::string s(buf, end);
  if (s.starts_with('-') && s.find_first_not_of("-0.") == std::string::npos) s.erase(0, 1);
  return s;
}

// A pixel coordinate.
inline std::string px(double v) { return fixed(v, 2); }

// Scientific notation as people write it: 1e-3, 2.5e-4, 1.25e+2 is 1.25e2; `digits` after the
// point at most (trailing zeros dropped).
inline std::string sci(double v, int digits) {
  if (v == 0) return "0";
  char buf[64];
  const auto end =
      std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific, digits).ptr;
  const std::string s(buf, end);
  const auto e = s.find('e');
  std::string mantissa = s.substr(0, e);
  if (mantissa.find('.') != std::string::npos) {
    mantissa.erase(mantissa.find_last_not_of('0') + 1);
    if (mantissa.ends_with('.')) mantissa.pop_back();
  }
  std::string exponent = s.substr(e + 1);
  const bool negative = exponent.starts_with('-');
  exponent.erase(0, exponent.find_first_not_of("+-"));
  exponent.erase(0, std::min(exponent.find_first_not_of('0'), exponent.size() - 1));
  return mantissa + "e" + (negative ? "-" : "") + exponent;
}

// Round axis ticks: a step of 1, 2, 2.5 or 5 times a power of ten, bounds on multiples of it.
struct Ticks {
  double lo = 0, hi = 1;
  std::vector<double> at;
  std::vector<std::string> labels;
};

inline Ticks nice_ticks(double lo, double hi, int target, bool scientific) {
  // Beyond +-1e300 nothing is drawn to scale (a span must stay finite); such values are off it.
  lo = std::clamp(lo, -1e300, 1e300);
  hi = std::clamp(hi, -1e300, 1e300);
  const double magnitude = std::max(std::fabs(lo), std::fabs(hi));
  if (!(hi - lo > 1e-9 * magnitude) || !(hi - lo > 1e-300)) {  // one value: a range around it
    const double d = magnitude > 1e-300 ? 0.1 * magnitude : 1.0;
    lo -= d;
    hi += d;
  }
  const double raw = (hi - lo) / target;
  int k = static_cast<int>(std::floor(std::log10(raw)));
  const double f = raw / std::pow(10.0, k);
  int m10 = f <= 1 ? 10 : f <= 2 ? 20 : f <= 2.5 ? 25 : f <= 5 ? 50 : 100;  // mantissa x 10
  if (m10 == 100) m10 = 10, ++k;
  const double step = k >= 0 ? m10 / 10.0 * std::pow(10.0, k) : m10 / 10.0 / std::pow(10.0, -k);
  const double i0 = std::floor(lo / step + 1e-9), i1 = std::ceil(hi / step - 1e-9);
  Ticks t;
  t.lo = i0 * step;
  t.hi = i1 * step;
  const int decimals = std::max(0, -k + (m10 == 25 ? 1 : 0));
  const double top = std::max(std::fabs(t.lo), std::fabs(t.hi));
  const bool use_sci = scientific || top >= 1e6 || top < 1e-3;
  for (double i = i0; i <= i1 && t.at.size() < 50; ++i) {
    double v = i * step;
    if (std::fabs(v) < step * 1e-9) v = 0;
    t.at.push_back(v);
    if (!use_sci) {
      t.labels.push_back(fixed(v, decimals));
    } else {
      const int e = v == 0 ? 0 : static_cast<int>(std::floor(std::log10(std::fabs(v)) + 1e-12));
      t.labels.push_back(sci(v, std::clamp(e - k + (m10 == 25 ? 1 : 0), 0, 15)));
    }
  }
  return t;
}

// The y range for a panel: every finite value, except that values standing far off the others
// (a first-epoch loss of 1e6 before losses near 0.5) are left off scale, so the rest stay
// readable. A largest (smallest) value is off scale when its distance to the next one is more
// than 10 times the others' spread or magnitude, whichever is larger; at most a quarter of the
// values, and none of fewer than 4.
struct Range {
  double lo, hi;
};

inline Range robust_range(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  std::size_t a = 0, b = v.size() - 1;
  const std::size_t most = v.size() >= 4 ? v.size() / 4 : 0;
  auto scale = [&](std::size_t lo, std::size_t hi) {
    return std::max(v[hi] - v[lo], std::max(std::fabs(v[lo]), std::fabs(v[hi])));
  };
  for (std::size_t cut = 0; cut < most && b - a >= 2; ++cut) {
    if (v[b] - v[b - 1] > 10 * scale(a, b - 1))
      --b;
    else
      break;
  }
  for (std::size_t cut = 0; cut < most && b - a >= 2; ++cut) {
    if (v[a + 1] - v[a] > 10 * scale(a + 1, b))
      ++a;
    else
      break;
  }
  return {v[a], v[b]};
}

// A linear map from data to pixels.
struct Map {
  double d0, d1, p0, p1;
  double operator()(double v) const {
    return d1 == d0 ? (p0 + p1) / 2 : p0 + (v - d0) * (p1 - p0) / (d1 - d0);
  }
};

enum class Style { solid, dashed, dotted };

struct Series {
  std::string name;
  std::string colour;
  Style style;
  std::vector<double> y;  // one per epoch, NaN where there is none
};

struct Panel {
  std::string title{};
  std::vector<Series> left{};
  std::vector<Series> right{};  // the learning rate, on the loss panel
  bool fraction = false;        // values in [0, 1]: the axis stays inside it and nothing is clipped
};

inline bool has_value(const std::vector<double>& y) {
  return std::any_of(y.begin(), y.end(), [](double v) { return !std::isnan(v); });
}

// Whether every value lies in [0, 1] (NaN aside).
inline bool inside_unit(const std::vector<double>& y) {
  return std::all_of(y.begin(), y.end(),
                     [](double v) { return std::isnan(v) || (v >= 0 && v <= 1); });
}

// Whether a metric reads as a fraction: its name says so and every value lies in [0, 1].
inline bool is_fraction(std::string_view name, const std::vector<double>& a,
                        const std::vector<double>& b) {
  std::string lower(name);
  for (auto& c : lower)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  bool named = false;
  for (std::string_view word : {"accuracy", "precision", "recall", "f1", "auc", "iou"})
    named = named || lower.find(word) != std::string::npos;
  return named && inside_unit(a) && inside_unit(b);
}

// "recall_3" -> "recall": the base of a per-class metric name, empty for any other name.
inline std::string class_base(const std::string& name) {
  const auto u = name.rfind('_');
  if (u == std::string::npos || u == 0 || u + 1 == name.size()) return "";
  for (std::size_t i = u + 1; i < name.size(); ++i)
    if (name[i] < '0' || name[i] > '9') return "";
  return name.substr(0, u);
}

inline constexpr std::string_view loss_colour = "#1f77b4", accuracy_colour = "#ff7f0e",
                                  rate_colour = "#7f7f7f", text_colour = "#333333",
                                  axis_colour = "#999999", grid_colour = "#ebebeb";
inline constexpr std::string_view metric_colours[] = {"#2ca02c", "#d62728", "#9467bd", "#8c564b",
                                                      "#e377c2", "#17becf", "#bcbd22"};
inline constexpr std::string_view class_colours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                                     "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                                                     "#bcbd22", "#17becf"};

// The panels: the loss (and the learning rate), accuracy with the fraction metrics, then each
// other metric in the order the metrics first appear; per-class metrics (recall_0, recall_1,
// ...) share one panel, "recall per class".
inline std::vector<Panel> panels_of(const std::vector<EpochLogs>& epochs) {
  const std::size_t n = epochs.size();
  auto column = [&](auto get) {
    std::vector<double> y(n);
    for (std::size_t i = 0; i < n; ++i) y[i] = get(epochs[i]);
    return y;
  };
  auto add = [](std::vector<Series>& to, Series s) {
    if (has_value(s.y)) to.push_back(std::move(s));
  };
  std::vector<Panel> panels;
  Panel loss{.title = "loss"};
  add(loss.left, {"loss", std::string(loss_colour), Style::solid,
                  column([](const EpochLogs& e) { return e.loss; })});
  add(loss.left, {"val_loss", std::string(loss_colour), Style::dashed,
                  column([](const EpochLogs& e) { return e.val_loss; })});
  auto rate = column([](const EpochLogs& e) {
    return std::isfinite(e.learning_rate) && e.learning_rate >= 0 ? e.learning_rate : NAN;
  });
  if (std::any_of(rate.begin(), rate.end(), [](double v) { return v > 0; }))
    loss.right.push_back({"learning_rate", std::string(rate_colour), Style::dotted, rate});
  panels.push_back(std::move(loss));

  // Metrics by name, in the order they first appear; how many per-class names each base has.
  std::vector<std::string> names;
  for (const auto& e : epochs)
    for (const auto& m : e.metrics)
      if (std::find(names.begin(), names.end(), m.name) == names.end()) names.push_back(m.name);
  auto per_class = [&](const std::string& base) {
    return !base.empty() && std::count_if(names.begin(), names.end(), [&](const std::string& m) {
                              return class_base(m) == base;
                            }) >= 2;
  };

  Panel fractions{.fraction = true};
  std::vector<Panel> others;
  std::vector<std::string> others_base;   // the per-class base of each of others, or ""
  std::vector<std::size_t> others_count;  // the classes placed in each of others
  std::size_t next_colour = 0;
  auto pair = [&](Panel& p, const std::string& name, std::string_view colour,
                  std::vector<double> train, std::vector<double> val) {
    add(p.left, {name, std::string(colour), Style::solid, std::move(train)});
    add(p.left, {"val_" + name, std::string(colour), Style::dashed, std::move(val)});
  };
  auto place = [&](const std::string& name, std::vector<double> train, std::vector<double> val) {
    if (!has_value(train) && !has_value(val)) return;
    const std::string base = name == "accuracy" ? "" : class_base(name);
    if (per_class(base)) {
      auto at = std::find(others_base.begin(), others_base.end(), base);
      if (at == others_base.end()) {
        others.push_back(Panel{.title = base + " per class", .fraction = true});
        others_base.push_back(base);
        others_count.push_back(0);
        at = others_base.end() - 1;
      }
      const auto i = std::size_t(at - others_base.begin());
      Panel& p = others[i];
      p.fraction = p.fraction && inside_unit(train) && inside_unit(val);
      const std::size_t k = others_count[i]++;  // the colour follows the class's place
      pair(p, name, class_colours[k % std::size(class_colours)], std::move(train), std::move(val));
      return;
    }
    const std::string_view colour = name == "accuracy"
                                        ? accuracy_colour
                                        : metric_colours[next_colour++ % std::size(metric_colours)];
    if (is_fraction(name, train, val)) {
      fractions.title += (fractions.title.empty() ? "" : ", ") + name;
      pair(fractions, name, colour, std::move(train), std::move(val));
    } else {
      others.push_back(Panel{.title = name});
      others_base.push_back("");
      others_count.push_back(0);
      pair(others.back(), name, colour, std::move(train), std::move(val));
    }
  };
  place("accuracy", column([](const EpochLogs& e) { return e.accuracy; }),
        column([](const EpochLogs& e) { return e.val_accuracy; }));
  for (const auto& name : names) {
    auto metric = [&](bool val) {
      return column([&](const EpochLogs& e) {
        for (const auto& m : e.metrics)
          if (m.name == name) return val ? m.val_value : m.value;
        return double(NAN);
      });
    };
    place(name, metric(false), metric(true));
  }
  if (!fractions.left.empty()) panels.push_back(std::move(fractions));
  for (auto& p : others) panels.push_back(std::move(p));
  return panels;
}

// Approximate text widths for the legend layout (DejaVu Sans / Arial at 12 px).
inline double text_width(std::string_view s, double per_char = 7.0) {
  double chars = 0;
  for (char c : s) chars += (static_cast<unsigned char>(c) & 0xC0) == 0x80 ? 0 : 1;  // code points
  return chars * per_char;
}

class Writer {
 public:
  Writer(const std::vector<EpochLogs>& epochs, std::size_t best_epoch,
         const HistorySvgOptions& options)
      : epochs_(epochs), best_epoch_(best_epoch), options_(options) {
    width_ = std::max(400, options.width);
    plot_height_ = std::max(80, options.plot_height);
    // x is EpochLogs::epoch; logs made by hand without increasing epochs are placed 1, 2, ...
    bool increasing = true;
    for (std::size_t i = 0; i < epochs.size(); ++i)
      increasing = increasing && epochs[i].epoch > (i ? epochs[i - 1].epoch : 0);
    for (std::size_t i = 0; i < epochs.size(); ++i)
      epoch_.push_back(increasing ? epochs[i].epoch : i + 1);
  }

  std::string write() {
    const auto panels = panels_of(epochs_);
    std::string body;
    double y = 56;  // below the title
    if (epochs_.empty()) {
      body += text(width_ / 2.0, y + 20, "no epochs", "middle", "class=\"empty\" fill=\"#777777\"");
      y += 40;
    }
    for (std::size_t i = 0; !epochs_.empty() && i < panels.size(); ++i)
      y = panel(body, panels[i], i + 1, y) + 16;
    const double height = std::ceil(y);

    std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(width_) +
           "\" height=\"" + px0(height) + "\" viewBox=\"0 0 " + std::to_string(width_) + " " +
           px0(height) +
           "\" font-family=\"DejaVu Sans, Arial, Helvetica, sans-serif\" font-size=\"12\">\n";
    out += "<title>" + escape(options_.title) + "</title>\n";
    out += "<rect class=\"background\" x=\"0\" y=\"0\" width=\"" + std::to_string(width_) +
           "\" height=\"" + px0(height) + "\" fill=\"#ffffff\"/>\n";
    out += text(width_ / 2.0, 24, options_.title, "middle",
                "class=\"title\" font-size=\"16\" font-weight=\"bold\" fill=\"#222222\"");
    std::string subtitle = std::to_string(epochs_.size()) +
                           (epochs_.size() == 1 ? " epoch" : " epochs") + "; solid: training";
    bool validation = false;
    for (const auto& p : panels)
      for (const auto& s : p.left) validation = validation || s.name.starts_with("val_");
    if (validation) subtitle += ", dashed: validation";
    if (best_epoch_ > 0) subtitle += "; best epoch " + std::to_string(best_epoch_);
    out += text(width_ / 2.0, 42, subtitle, "middle", "class=\"subtitle\" fill=\"#555555\"");
    out += body;
    out += "</svg>\n";
    return out;
  }

 private:
  static std::string px0(double v) { return fixed(v, 0); }

  static std::string text(double x, double y, std::string_view content, std::string_view anchor,
                          std::string_view extra) {
    std::string s = "<text x=\"" + px(x) + "\" y=\"" + px(y) + "\"";
    if (anchor != "start") s += " text-anchor=\"" + std::string(anchor) + "\"";
    if (!extra.empty()) s += " " + std::string(extra);
    return s + ">" + escape(content) + "</text>\n";
  }

  static std::string line(std::string_view cls, double x1, double y1, double x2, double y2,
                          std::string_view stroke) {
    return "<line class=\"" + std::string(cls) + "\" x1=\"" + px(x1) + "\" y1=\"" + px(y1) +
           "\" x2=\"" + px(x2) + "\" y2=\"" + px(y2) + "\" stroke=\"" + std::string(stroke) +
           "\"/>\n";
  }

  static std::string dash(Style style) {
    return style == Style::dashed   ? " stroke-dasharray=\"6 4\""
           : style == Style::dotted ? " stroke-dasharray=\"2 3\""
                                    : "";
  }

  // A marker: a circle for a loss or metric value, a square for the learning rate, a triangle
  // at the edge for a value off scale (pointing up above the axis, down below it).
  static std::string marker(const Series& s, double x, double y, int off, std::string_view tip) {
    std::string m, tag;
    if (off != 0) {
      const double d = off > 0 ? -1 : 1;  // the apex points off the axis
      tag = "path";
      m = "<path class=\"off-scale\" d=\"M" + px(x) + " " + px(y + 4 * d) + "L" + px(x - 5) + " " +
          px(y - 4 * d) + "L" + px(x + 5) + " " + px(y - 4 * d) + "Z\"";
    } else if (s.style == Style::dotted) {
      tag = "rect";
      m = "<rect x=\"" + px(x - 2.5) + "\" y=\"" + px(y - 2.5) + "\" width=\"5\" height=\"5\"";
    } else {
      tag = "circle";
      m = "<circle cx=\"" + px(x) + "\" cy=\"" + px(y) + "\" r=\"3\"";
    }
    return m + "><title>" + escape(tip) + "</title></" + tag + ">\n";
  }

  // One panel from its top; returns its bottom.
  double panel(std::string& out, const Panel& p, std::size_t index, double top) {
    const double fx0 = 64, fx1 = width_ - 72.0;  // the frame
    const std::size_t n = epochs_.size();

    // Header: the panel's title, then the legend, wrapping onto more rows when it must.
    struct Entry {
      const Series* s;
      std::string label;
      double x;
      int row;
    };
    std::vector<Entry> legend;
    const double start = fx0 + text_width(p.title, 8.0) + 24;
    double x = start;
    int row = 0;
    auto place = [&](const Series& s, std::string label) {
      const double w = 28 + text_width(label) + 18;
      if (x + w > width_ - 8.0 && x > start) x = start, ++row;
      legend.push_back({&s, std::move(label), x, row});
      x += w;
    };
    for (const auto& s : p.left) place(s, s.name);
    for (const auto& s : p.right) place(s, s.name + " (right axis)");
    const double fy0 = top + 18.0 * (row + 1) + 10, fy1 = fy0 + plot_height_;

    // Axes: epochs on x, the data's round range on the left, the learning rate on the right.
    const double e0 = double(epoch_.front()), e1 = double(epoch_.back());
    const Map mx{e0, e1, fx0 + 12, fx1 - 12};
    std::vector<double> values;
    for (const auto& s : p.left)
      for (double v : s.y)
        if (std::isfinite(v)) values.push_back(v);
    Range r{0, 1};
    if (!values.empty())
      r = p.fraction ? Range{*std::min_element(values.begin(), values.end()),
                             *std::max_element(values.begin(), values.end())}
                     : robust_range(values);
    Ticks ty = nice_ticks(r.lo, r.hi, 5, false);
    if (p.fraction) {  // a fraction's axis stays inside [0, 1]
      ty.lo = std::max(ty.lo, 0.0);
      ty.hi = std::min(ty.hi, 1.0);
      for (std::size_t i = ty.at.size(); i-- > 0;)
        if (ty.at[i] < ty.lo || ty.at[i] > ty.hi) {
          ty.at.erase(ty.at.begin() + std::ptrdiff_t(i));
          ty.labels.erase(ty.labels.begin() + std::ptrdiff_t(i));
        }
    }
    const Map my{ty.lo, ty.hi, fy1 - 10, fy0 + 10};
    Ticks tr;
    Map mr{0, 1, fy1 - 10, fy0 + 10};
    if (!p.right.empty()) {
      double top_rate = 0;
      for (double v : p.right.front().y)
        if (std::isfinite(v)) top_rate = std::max(top_rate, v);
      tr = nice_ticks(0, top_rate * 1.1, 4, true);
      mr = Map{tr.lo, tr.hi, fy1 - 10, fy0 + 10};
    }

    out += "<g class=\"panel\" id=\"panel-" + std::to_string(index) + "\" data-name=\"" +
           escape(p.title) + "\">\n";
    // Grid lines, then the frame, ticks and labels.
    std::vector<double> xt;  // epochs with a tick: multiples of a round step
    {
      const double span = e1 - e0;
      double step = 1;
      for (double decade = 1; span / step > 10; decade *= 10)
        for (double m : {1.0, 2.0, 5.0})
          if (span / step > 10) step = m * decade;
      for (double e = std::ceil(e0 / step) * step; e <= e1 && xt.size() < 40; e += step)
        xt.push_back(e);
      if (xt.empty()) xt.push_back(e0);
    }
    for (double e : xt) out += line("grid", mx(e), fy0, mx(e), fy1, grid_colour);
    for (double v : ty.at) out += line("grid", fx0, my(v), fx1, my(v), grid_colour);
    if (best_epoch_ > 0 && double(best_epoch_) >= e0 && double(best_epoch_) <= e1) {
      const double bx = mx(double(best_epoch_));
      out += "<line class=\"best\" x1=\"" + px(bx) + "\" y1=\"" + px(fy0) + "\" x2=\"" + px(bx) +
             "\" y2=\"" + px(fy1) + "\" stroke=\"#aaaaaa\" stroke-dasharray=\"3 3\"/>\n";
      out += text(bx + 4, fy0 + 12, "best", "start",
                  "class=\"best\" font-size=\"10\" fill=\"#777777\"");
    }
    out += "<rect class=\"frame\" x=\"" + px(fx0) + "\" y=\"" + px(fy0) + "\" width=\"" +
           px(fx1 - fx0) + "\" height=\"" + px(fy1 - fy0) + "\" fill=\"none\" stroke=\"" +
           std::string(axis_colour) + "\"/>\n";
    for (double e : xt) {
      out += line("xtick", mx(e), fy1, mx(e), fy1 + 4, axis_colour);
      out += text(mx(e), fy1 + 17, fixed(e, 0), "middle", "class=\"xtick-label\" fill=\"#444444\"");
    }
    for (std::size_t i = 0; i < ty.at.size(); ++i) {
      out += line("ytick", fx0 - 4, my(ty.at[i]), fx0, my(ty.at[i]), axis_colour);
      out += text(fx0 - 7, my(ty.at[i]), ty.labels[i], "end",
                  "class=\"ytick-label\" dy=\"0.35em\" fill=\"#444444\"");
    }
    if (!p.right.empty()) {
      for (std::size_t i = 0; i < tr.at.size(); ++i) {
        out += line("rtick", fx1, mr(tr.at[i]), fx1 + 4, mr(tr.at[i]), rate_colour);
        out += text(fx1 + 7, mr(tr.at[i]), tr.labels[i], "start",
                    "class=\"rtick-label\" dy=\"0.35em\" fill=\"#666666\"");
      }
      const double lx = width_ - 14.0, ly = (fy0 + fy1) / 2;
      out += "<text class=\"raxis-label\" x=\"" + px(lx) + "\" y=\"" + px(ly) +
             "\" text-anchor=\"middle\" transform=\"rotate(90 " + px(lx) + " " + px(ly) +
             ")\" fill=\"#666666\">learning rate</text>\n";
    }
    out += text((fx0 + fx1) / 2, fy1 + 34, "epoch", "middle",
                "class=\"xaxis-label\" fill=\"#444444\"");

    // The curves: the right axis first (under the rest), polylines, then the markers on top.
    // A value beyond the axis is drawn at the frame's edge.
    std::vector<std::string> off_notes;
    std::size_t off_count = 0;
    std::string markers;
    auto draw = [&](const Series& s, const Map& my_s, const Ticks& t) {
      auto y_of = [&](double v, int& off) {
        const double eps = 1e-9 * (t.hi - t.lo);  // rounding in the tick bounds is not off scale
        off = v > t.hi + eps ? 1 : v < t.lo - eps ? -1 : 0;
        return std::clamp(my_s(std::clamp(v, t.lo - (t.hi - t.lo), t.hi + (t.hi - t.lo))), fy0 + 3,
                          fy1 - 3);
      };
      const bool rate = s.style == Style::dotted;
      out += "<g class=\"series\" data-series=\"" + escape(s.name) + "\" data-axis=\"" +
             (rate ? "right" : "left") + "\" fill=\"none\" stroke=\"" + s.colour +
             "\" stroke-width=\"" + (rate ? "1.5" : "2") + "\" stroke-linejoin=\"round\"" +
             dash(s.style) + ">\n";
      std::string ms = "<g class=\"markers\" data-series=\"" + escape(s.name) + "\" fill=\"" +
                       s.colour + "\">\n";
      for (std::size_t i = 0; i < n;) {
        if (std::isnan(s.y[i])) {
          ++i;
          continue;
        }
        std::size_t j = i;
        while (j < n && !std::isnan(s.y[j])) ++j;  // [i, j): a run without gaps
        std::string points;
        for (std::size_t k = i; k < j; ++k) {
          int off = 0;
          const double yy = y_of(s.y[k], off);
          const double xx = mx(double(epoch_[k]));
          if (k > i) points += ' ';
          points.append(px(xx)).append(",").append(px(yy));
          const std::string tip = "epoch " + std::to_string(epoch_[k]) + ": " + s.name + " " +
                                  shortest(s.y[k]) + (off ? " (off scale)" : "");
          if (off != 0 || j - i == 1 || n <= 40) ms += marker(s, xx, yy, off, tip);
          if (off != 0) {
            ++off_count;
            if (off_notes.size() < 3)
              off_notes.push_back(s.name + " " + shortest(s.y[k]) + " at epoch " +
                                  std::to_string(epoch_[k]));
          }
        }
        if (j - i >= 2) out += "<polyline points=\"" + points + "\"/>\n";
        i = j;
      }
      out += "</g>\n";
      markers += ms + "</g>\n";
    };
    for (const auto& s : p.right) draw(s, mr, tr);
    for (const auto& s : p.left) draw(s, my, ty);
    out += markers;
    if (off_count > 0) {
      std::string note = "off scale, at the edge: ";
      for (std::size_t i = 0; i < off_notes.size(); ++i) note += (i ? ", " : "") + off_notes[i];
      if (off_count > off_notes.size())
        note += " and " + std::to_string(off_count - off_notes.size()) + " more";
      out += text(fx0, fy1 + 52, note, "start",
                  "class=\"off-scale-note\" font-size=\"11\" fill=\"#777777\"");
    }

    // The header last, on top of everything.
    out += text(fx0, top + 14, p.title, "start",
                "class=\"panel-title\" font-size=\"13\" font-weight=\"bold\" fill=\"#222222\"");
    for (const auto& e : legend) {
      const double ly = top + 10 + 18.0 * e.row;
      out += "<g class=\"legend\" data-series=\"" + escape(e.s->name) + "\">";
      out += "<line x1=\"" + px(e.x) + "\" y1=\"" + px(ly) + "\" x2=\"" + px(e.x + 24) +
             "\" y2=\"" + px(ly) + "\" stroke=\"" + e.s->colour + "\" stroke-width=\"" +
             (e.s->style == Style::dotted ? "1.5" : "2") + "\"" + dash(e.s->style) + "/>";
      out += text(e.x + 30, ly + 4, e.label, "start", "fill=\"" + std::string(text_colour) + "\"");
      out.pop_back();  // text() ends the line; the group does
      out += "</g>\n";
    }
    out += "</g>\n";
    return fy1 + (off_count > 0 ? 58 : 40);
  }

  const std::vector<EpochLogs>& epochs_;
  std::size_t best_epoch_;
  const HistorySvgOptions& options_;
  int width_, plot_height_;
  std::vector<std::size_t> epoch_;  // each epoch's x
};

}  // namespace svg

inline std::string history_svg(const std::vector<EpochLogs>& epochs, std::size_t best_epoch,
                               const HistorySvgOptions& options) {
  return svg::Writer(epochs, best_epoch, options).write();
}

}  // namespace detail
}  // namespace tensorguard
