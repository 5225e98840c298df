// History::svg / write_svg: the SVG is read back as a person reads the picture. Its text is
// parsed as XML and every curve's points are checked against the data mapped through the axes'
// own tick labels; then headless Chromium renders it, the PNG is decoded, and the pixels at the
// data points must have the series' colours, gaps must stay empty and the rest stay white.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <array>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <locale>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tensorguard/training/history.hpp>
#include <thread>
#include <vector>

#include "test_files.hpp"

extern char** environ;

#ifndef TG_CHROMIUM
#define TG_CHROMIUM ""  // tests/CMakeLists.txt sets it to find_program(CHROMIUM chromium)
#endif

namespace tg = tensorguard;

namespace {

// ---------------------------------------------------------------------------------------------
// A minimal XML parser: elements, attributes, text, entities; it throws on anything malformed
// (unbalanced or mismatched tags, unquoted attributes, a raw '<' or a bad '&' in text).

struct Element {
  std::string name;
  std::map<std::string, std::string> attrs;
  std::vector<std::unique_ptr<Element>> children;
  std::string text;  // the text directly inside, entities decoded

  std::string attr(const std::string& key) const {
    const auto it = attrs.find(key);
    if (it == attrs.end()) throw std::runtime_error("<" + name + "> has no attribute " + key);
    return it->second;
  }
  bool has(const std::string& key, const std::string& value) const {
    const auto it = attrs.find(key);
    return it != attrs.end() && it->second == value;
  }
  // Every element below this one (depth first) that satisfies `pred`.
  template <class Pred>
  void find_all(Pred pred, std::vector<const Element*>& out) const {
    for (const auto& c : children) {
      if (pred(*c)) out.push_back(c.get());
      c->find_all(pred, out);
    }
  }
  template <class Pred>
  std::vector<const Element*> all(Pred pred) const {
    std::vector<const Element*> out;
    find_all(pred, out);
    return out;
  }
  // All text below this element, concatenated.
  std::string all_text() const {
    std::string s = text;
    for (const auto& c : children) s += c->all_text();
    return s;
  }
};

class XmlParser {
 public:
  explicit XmlParser(const std::string& s) : s_(s) {}

  std::unique_ptr<Element> parse() {
    skip_space();
    if (s_.compare(i_, 5, "<?xml") == 0) {
      const auto end = s_.find("?>", i_);
      if (end == std::string::npos) fail("unterminated XML declaration");
      i_ = end + 2;
    }
    skip_misc();
    auto root = element();
    skip_misc();
    if (i_ != s_.size()) fail("content after the root element");
    return root;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error("XML: " + what + " at byte " + std::to_string(i_));
  }
  void skip_space() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  void skip_misc() {  // whitespace and comments
    for (;;) {
      skip_space();
      if (s_.compare(i_, 4, "<!--") != 0) return;
      const auto end = s_.find("-->", i_);
      if (end == std::string::npos) fail("unterminated comment");
      i_ = end + 3;
    }
  }
  static bool name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == ':' ||
           c == '.';
  }
  std::string name() {
    const auto start = i_;
    while (i_ < s_.size() && name_char(s_[i_])) ++i_;
    if (i_ == start) fail("expected a name");
    return s_.substr(start, i_ - start);
  }
  std::string decode(std::string_view raw) {
    std::string out;
    for (std::size_t k = 0; k < raw.size(); ++k) {
      if (raw[k] == '<') fail("a raw '<' in text or an attribute");
      if (raw[k] != '&') {
        out += raw[k];
        continue;
      }
      const auto semi = raw.find(';', k);
      if (semi == std::string_view::npos) fail("'&' without ';'");
      const auto entity = raw.substr(k + 1, semi - k - 1);
      if (entity == "amp")
        out += '&';
      else if (entity == "lt")
        out += '<';
      else if (entity == "gt")
        out += '>';
      else if (entity == "quot")
        out += '"';
      else if (entity == "apos")
        out += '\'';
      else if (entity.size() > 1 && entity[0] == '#')
        out += "?";  // a character reference
      else
        fail("unknown entity &" + std::string(entity) + ";");
      k = semi;
    }
    return out;
  }
  std::unique_ptr<Element> element() {
    if (i_ >= s_.size() || s_[i_] != '<') fail("expected '<'");
    ++i_;
    auto e = std::make_unique<Element>();
    e->name = name();
    for (;;) {
      skip_space();
      if (i_ >= s_.size()) fail("unterminated tag");
      if (s_[i_] == '/') {
        if (s_.compare(i_, 2, "/>") != 0) fail("expected '/>'");
        i_ += 2;
        return e;
      }
      if (s_[i_] == '>') {
        ++i_;
        break;
      }
      const auto key = name();
      skip_space();
      if (i_ >= s_.size() || s_[i_] != '=') fail("attribute " + key + " without '='");
      ++i_;
      skip_space();
      if (i_ >= s_.size() || (s_[i_] != '"' && s_[i_] != '\'')) fail("unquoted attribute " + key);
      const char q = s_[i_++];
      const auto end = s_.find(q, i_);
      if (end == std::string::npos) fail("unterminated attribute " + key);
      if (e->attrs.count(key)) fail("attribute " + key + " twice");
      e->attrs[key] = decode(std::string_view(s_).substr(i_, end - i_));
      i_ = end + 1;
    }
    for (;;) {  // content
      const auto lt = s_.find('<', i_);
      if (lt == std::string::npos) fail("unterminated element <" + e->name + ">");
      e->text += decode(std::string_view(s_).substr(i_, lt - i_));
      i_ = lt;
      if (s_.compare(i_, 4, "<!--") == 0) {
        skip_misc();
      } else if (s_.compare(i_, 2, "</") == 0) {
        i_ += 2;
        const auto closing = name();
        if (closing != e->name) fail("</" + closing + "> closes <" + e->name + ">");
        skip_space();
        if (i_ >= s_.size() || s_[i_] != '>') fail("expected '>'");
        ++i_;
        return e;
      } else {
        e->children.push_back(element());
      }
    }
  }

  const std::string& s_;
  std::size_t i_ = 0;
};

std::unique_ptr<Element> parse_xml(const std::string& s) { return XmlParser(s).parse(); }

double number(std::string_view s) {
  double v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size())
    throw std::runtime_error("not a number: '" + std::string(s) + "'");
  return v;
}

// Whether a string is valid UTF-8 (an XML parser, Chromium's included, refuses anything else).
bool valid_utf8(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t n = c < 0x80                 ? 1
                          : c >= 0xC2 && c <= 0xDF ? 2
                          : c >= 0xE0 && c <= 0xEF ? 3
                          : c >= 0xF0 && c <= 0xF4 ? 4
                                                   : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// A PNG decoder: 8-bit RGB and RGBA, not interlaced, the five filter types, checksums checked.
// RGBA is composited over white.

struct Image {
  int width = 0, height = 0;
  std::vector<std::uint8_t> rgb;  // 3 bytes a pixel, rows top to bottom

  std::array<int, 3> at(int x, int y) const {
    if (x < 0 || y < 0 || x >= width || y >= height) return {255, 255, 255};
    const auto k = (std::size_t(y) * std::size_t(width) + std::size_t(x)) * 3;
    return {rgb[k], rgb[k + 1], rgb[k + 2]};
  }
};

std::uint32_t be32(const unsigned char* p) {
  return std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 | p[3];
}

Image decode_png(const std::vector<unsigned char>& png) {
  static const unsigned char signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (png.size() < 8 || !std::equal(signature, signature + 8, png.begin()))
    throw std::runtime_error("PNG: no signature");
  std::size_t pos = 8;
  int width = 0, height = 0, channels = 0;
  std::vector<unsigned char> idat;
  bool end = false;
  while (!end) {
    if (pos + 12 > png.size()) throw std::runtime_error("PNG: truncated chunk");
    const std::uint32_t length = be32(&png[pos]);
    if (length > png.size() - pos - 12) throw std::runtime_error("PNG: chunk past the end");
    const std::string type(reinterpret_cast<const char*>(&png[pos + 4]), 4);
    const unsigned char* data = &png[pos + 8];
    const auto crc = crc32(crc32(0, nullptr, 0), &png[pos + 4], length + 4);
    if (crc != be32(&png[pos + 8 + length])) throw std::runtime_error("PNG: bad CRC in " + type);
    if (type == "IHDR") {
      if (length != 13) throw std::runtime_error("PNG: IHDR size");
      width = int(be32(data));
      height = int(be32(data + 4));
      const int depth = data[8], colour = data[9];
      if (depth != 8 || (colour != 2 && colour != 6) || data[10] != 0 || data[11] != 0 ||
          data[12] != 0)
        throw std::runtime_error("PNG: only 8-bit RGB/RGBA, not interlaced (depth " +
                                 std::to_string(depth) + ", colour type " + std::to_string(colour) +
                                 ")");
      channels = colour == 2 ? 3 : 4;
    } else if (type == "IDAT") {
      idat.insert(idat.end(), data, data + length);
    } else if (type == "IEND") {
      end = true;
    }
    pos += 12 + length;
  }
  if (width <= 0 || height <= 0 || channels == 0) throw std::runtime_error("PNG: no IHDR");
  const std::size_t stride = std::size_t(width) * std::size_t(channels);
  std::vector<unsigned char> raw(std::size_t(height) * (stride + 1));
  z_stream z{};
  if (inflateInit(&z) != Z_OK) throw std::runtime_error("PNG: inflateInit");
  z.next_in = idat.data();
  z.avail_in = static_cast<uInt>(idat.size());
  z.next_out = raw.data();
  z.avail_out = static_cast<uInt>(raw.size());
  const int rc = inflate(&z, Z_FINISH);
  const auto produced = raw.size() - z.avail_out;
  inflateEnd(&z);
  if (rc != Z_STREAM_END || produced != raw.size())
    throw std::runtime_error("PNG: image data of the wrong size or corrupt");

  std::vector<unsigned char> pixels(std::size_t(height) * stride);
  const std::size_t bpp = std::size_t(channels);
  for (std::size_t y = 0; y < std::size_t(height); ++y) {
    const unsigned char filter = raw[y * (stride + 1)];
    const unsigned char* in = &raw[y * (stride + 1) + 1];
    unsigned char* out = &pixels[y * stride];
    const unsigned char* up = y ? &pixels[(y - 1) * stride] : nullptr;
    for (std::size_t x = 0; x < stride; ++x) {
      const int a = x >= bpp ? out[x - bpp] : 0, b = up ? up[x] : 0,
                c = up && x >= bpp ? up[x - bpp] : 0;
      int predicted = 0;
      switch (filter) {
        case 0:
          predicted = 0;
          break;
        case 1:
          predicted = a;
          break;
        case 2:
          predicted = b;
          break;
        case 3:
          predicted = (a + b) / 2;
          break;
        case 4: {
          const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
          predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default:
          throw std::runtime_error("PNG: filter type " + std::to_string(filter));
      }
      out[x] = static_cast<unsigned char>((in[x] + predicted) & 0xff);
    }
  }
  Image img{width, height, std::vector<std::uint8_t>(std::size_t(width) * std::size_t(height) * 3)};
  for (std::size_t p = 0; p < std::size_t(width) * std::size_t(height); ++p)
    for (std::size_t k = 0; k < 3; ++k) {
      const int v = pixels[p * bpp + k];
      const int alpha = channels == 4 ? pixels[p * bpp + 3] : 255;
      img.rgb[p * 3 + k] = static_cast<std::uint8_t>((v * alpha + 255 * (255 - alpha) + 127) / 255);
    }
  return img;
}

// A PNG encoder for the decoder's own test: row y uses filter type y % 5.
std::vector<unsigned char> encode_png(int width, int height, int channels,
                                      const std::vector<unsigned char>& pixels) {
  const std::size_t stride = std::size_t(width) * std::size_t(channels),
                    bpp = std::size_t(channels);
  std::vector<unsigned char> raw;
  for (std::size_t y = 0; y < std::size_t(height); ++y) {
    const int filter = int(y % 5);
    raw.push_back(static_cast<unsigned char>(filter));
    const unsigned char* row = &pixels[y * stride];
    const unsigned char* up = y ? &pixels[(y - 1) * stride] : nullptr;
    for (std::size_t x = 0; x < stride; ++x) {
      const int a = x >= bpp ? row[x - bpp] : 0, b = up ? up[x] : 0,
                c = up && x >= bpp ? up[x - bpp] : 0;
      const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
      const int predicted[] = {0, a, b, (a + b) / 2, pa <= pb && pa <= pc ? a : pb <= pc ? b : c};
      raw.push_back(static_cast<unsigned char>((row[x] - predicted[filter]) & 0xff));
    }
  }
  uLongf size = compressBound(static_cast<uLong>(raw.size()));
  std::vector<unsigned char> z(size);
  compress2(z.data(), &size, raw.data(), static_cast<uLong>(raw.size()), 9);
  z.resize(size);
  std::vector<unsigned char> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  auto chunk = [&](const char* type, const std::vector<unsigned char>& data) {
    for (int s = 24; s >= 0; s -= 8) png.push_back(static_cast<unsigned char>(data.size() >> s));
    const auto start = png.size();
    png.insert(png.end(), type, type + 4);
    png.insert(png.end(), data.begin(), data.end());
    const auto crc = crc32(crc32(0, nullptr, 0), &png[start], static_cast<uInt>(data.size() + 4));
    for (int s = 24; s >= 0; s -= 8) png.push_back(static_cast<unsigned char>(crc >> s));
  };
  std::vector<unsigned char> ihdr;
  for (auto v : {std::uint32_t(width), std::uint32_t(height)})
    for (int s = 24; s >= 0; s -= 8) ihdr.push_back(static_cast<unsigned char>(v >> s));
  ihdr.insert(ihdr.end(), {8, static_cast<unsigned char>(channels == 3 ? 2 : 6), 0, 0, 0});
  chunk("IHDR", ihdr);
  // The data in two IDAT chunks, as encoders may split it.
  const auto half = z.begin() + std::ptrdiff_t(z.size() / 2);
  chunk("IDAT", std::vector<unsigned char>(z.begin(), half));
  chunk("IDAT", std::vector<unsigned char>(half, z.end()));
  chunk("IEND", {});
  return png;
}

// ---------------------------------------------------------------------------------------------
// Headless Chromium: renders an SVG file to a PNG of the SVG's size. Each run has its own
// profile directory (tests run in parallel) and a time limit; the process group is killed when
// the limit passes.

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "tg_svg_XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

Image render(const std::string& svg, int width, int height) {
  const std::string chromium = TG_CHROMIUM;
  if (chromium.empty() || access(chromium.c_str(), X_OK) != 0)
    FAIL("Chromium was not found when the tests were configured ('"
         << chromium
         << "'): these tests render the SVG with headless Chromium. Run bash "
            "cmake/install-deps.sh (it installs the Debian package chromium), then configure "
            "again.");
  TempDir dir;
  const auto svg_path = dir.path / "history.svg", png_path = dir.path / "shot.png",
             log_path = dir.path / "chromium.log";
  std::ofstream(svg_path, std::ios::binary) << svg;
  std::vector<std::string> args = {
      chromium,
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-extensions",
      "--no-first-run",
      "--no-default-browser-check",
      "--hide-scrollbars",
      "--force-device-scale-factor=1",
      "--user-data-dir=" + (dir.path / "profile").string(),
      "--screenshot=" + png_path.string(),
      "--window-size=" + std::to_string(width) + "," + std::to_string(height),
      "file://" + svg_path.string()};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);  // its own group, to kill it whole
  posix_spawnattr_setpgroup(&attr, 0);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, chromium.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (spawned != 0) FAIL("cannot start " << chromium << ": error " << spawned);
  auto log = [&] {
    std::ifstream in(log_path);
    std::stringstream s;
    s << in.rdbuf();
    const std::string text = s.str();
    return text.size() > 3000 ? "..." + text.substr(text.size() - 3000) : text;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  int status = 0;
  for (;;) {
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0) FAIL("waitpid failed for chromium");
    if (std::chrono::steady_clock::now() > deadline) {
      kill(-pid, SIGKILL);
      waitpid(pid, &status, 0);
      FAIL("chromium did not finish within 90 s; its output:\n" << log());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !std::filesystem::exists(png_path))
    FAIL("chromium failed (status " << status << "); its output:\n" << log());
  Image img = decode_png(testing::read_bytes(png_path.string()));
  if (img.width != width || img.height != height)
    FAIL("the screenshot is " << img.width << "x" << img.height << ", not " << width << "x"
                              << height);
  return img;
}

// ---------------------------------------------------------------------------------------------
// Reading the picture: panels, axes from their tick labels, curves.

struct Point {
  double x, y;
};

// A linear axis read off its tick labels: the labels' values against their positions. The
// ticks must be evenly spaced in both, with a round step (1, 2, 2.5 or 5 times a power of ten).
struct Axis {
  double v0 = 0, p0 = 0, v1 = 1, p1 = 1;
  std::vector<double> values, positions;
  std::vector<std::string> labels;
  double operator()(double v) const { return p0 + (v - v0) * (p1 - p0) / (v1 - v0); }
};

Axis read_axis(const Element& panel, const std::string& cls, const std::string& coordinate) {
  Axis a;
  for (const auto* t : panel.all([&](const Element& e) { return e.has("class", cls); })) {
    a.labels.push_back(t->text);
    a.values.push_back(number(t->text));
    a.positions.push_back(number(t->attr(coordinate)));
  }
  REQUIRE(a.values.size() >= 2);
  a.v0 = a.values.front();
  a.p0 = a.positions.front();
  a.v1 = a.values.back();
  a.p1 = a.positions.back();
  const double step = (a.v1 - a.v0) / double(a.values.size() - 1);
  const double mantissa = step / std::pow(10.0, std::floor(std::log10(step) + 1e-9));
  INFO(cls << " step " << step);
  CHECK((std::fabs(mantissa - 1) < 1e-6 || std::fabs(mantissa - 2) < 1e-6 ||
         std::fabs(mantissa - 2.5) < 1e-6 || std::fabs(mantissa - 5) < 1e-6));
  for (std::size_t i = 0; i < a.values.size(); ++i) {
    INFO(cls << " tick " << a.labels[i]);
    CHECK(std::fabs(a.values[i] - (a.v0 + double(i) * step)) < 1e-9 * std::fabs(step) * 100);
    CHECK(std::fabs(a.values[i] / step - std::round(a.values[i] / step)) < 1e-6);  // a multiple
    CHECK(std::fabs(a.positions[i] - a(a.values[i])) < 0.02);                      // even spacing
  }
  return a;
}

const Element& panel_named(const Element& root, const std::string& name) {
  const auto found = root.all(
      [&](const Element& e) { return e.has("class", "panel") && e.has("data-name", name); });
  if (found.size() != 1) FAIL("expected one panel named '" << name << "', found " << found.size());
  return *found.front();
}

struct Frame {
  double x0, y0, x1, y1;
};
Frame frame_of(const Element& panel) {
  const auto f = panel.all([](const Element& e) { return e.has("class", "frame"); });
  REQUIRE(f.size() == 1);
  const double x = number(f[0]->attr("x")), y = number(f[0]->attr("y"));
  return {x, y, x + number(f[0]->attr("width")), y + number(f[0]->attr("height"))};
}

// The polylines of a series, each as its points.
std::vector<std::vector<Point>> polylines(const Element& panel, const std::string& series) {
  std::vector<std::vector<Point>> out;
  for (const auto* g : panel.all([&](const Element& e) {
         return e.has("class", "series") && e.has("data-series", series);
       }))
    for (const auto* p : g->all([](const Element& e) { return e.name == "polyline"; })) {
      std::vector<Point> pts;
      std::istringstream in(p->attr("points"));
      std::string pair;
      while (in >> pair) {
        const auto comma = pair.find(',');
        pts.push_back({number(pair.substr(0, comma)), number(pair.substr(comma + 1))});
      }
      out.push_back(pts);
    }
  return out;
}

std::vector<const Element*> markers(const Element& panel, const std::string& series,
                                    const std::string& element) {
  std::vector<const Element*> out;
  for (const auto* g : panel.all([&](const Element& e) {
         return e.has("class", "markers") && e.has("data-series", series);
       }))
    for (const auto* m : g->all([&](const Element& e) { return e.name == element; }))
      out.push_back(m);
  return out;
}

// What a curve should look like: its points mapped through the axes, split at NaN.
std::vector<std::vector<Point>> expected_runs(const std::vector<double>& epochs,
                                              const std::vector<double>& values, const Axis& x,
                                              const Axis& y) {
  std::vector<std::vector<Point>> runs;
  std::vector<Point> run;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (std::isnan(values[i])) {
      if (!run.empty()) runs.push_back(run);
      run.clear();
      continue;
    }
    run.push_back({x(epochs[i]), y(values[i])});
  }
  if (!run.empty()) runs.push_back(run);
  return runs;
}

void check_same_runs(const std::vector<std::vector<Point>>& drawn,
                     const std::vector<std::vector<Point>>& expected, const std::string& series) {
  INFO("series " << series);
  std::vector<std::vector<Point>> lines;  // runs of two points or more are polylines
  for (const auto& r : expected)
    if (r.size() >= 2) lines.push_back(r);
  REQUIRE(drawn.size() == lines.size());
  for (std::size_t i = 0; i < lines.size(); ++i) {
    REQUIRE(drawn[i].size() == lines[i].size());
    for (std::size_t k = 0; k < lines[i].size(); ++k) {
      INFO("run " << i << " point " << k << ": drawn " << drawn[i][k].x << "," << drawn[i][k].y
                  << " expected " << lines[i][k].x << "," << lines[i][k].y);
      CHECK(std::fabs(drawn[i][k].x - lines[i][k].x) < 0.05);
      CHECK(std::fabs(drawn[i][k].y - lines[i][k].y) < 0.05);
    }
  }
}

double distance_to_segment(Point p, Point a, Point b) {
  const double dx = b.x - a.x, dy = b.y - a.y, len2 = dx * dx + dy * dy;
  const double t =
      len2 > 0 ? std::clamp(((p.x - a.x) * dx + (p.y - a.y) * dy) / len2, 0.0, 1.0) : 0;
  return std::hypot(p.x - a.x - t * dx, p.y - a.y - t * dy);
}
double distance_to_runs(Point p, const std::vector<std::vector<Point>>& runs) {
  double d = 1e9;
  for (const auto& r : runs)
    for (std::size_t k = 0; k < r.size(); ++k)
      d = std::min(d, distance_to_segment(p, r[k], r[k + 1 < r.size() ? k + 1 : k]));
  return d;
}

// Colours.
using Rgb = std::array<int, 3>;
Rgb hex(const char* h) {
  const auto v = std::strtoul(h + 1, nullptr, 16);
  return {int(v >> 16 & 0xff), int(v >> 8 & 0xff), int(v & 0xff)};
}
bool near_colour(Rgb a, Rgb b, int tolerance) {
  for (int k = 0; k < 3; ++k)
    if (std::abs(a[std::size_t(k)] - b[std::size_t(k)]) > tolerance) return false;
  return true;
}
// Whether a pixel within `radius` of (x, y) has the colour.
bool colour_near(const Image& img, Point p, Rgb colour, int radius, int tolerance = 24) {
  const int cx = int(std::floor(p.x)), cy = int(std::floor(p.y));
  for (int y = cy - radius; y <= cy + radius; ++y)
    for (int x = cx - radius; x <= cx + radius; ++x)
      if (near_colour(img.at(x, y), colour, tolerance)) return true;
  return false;
}
bool white(Rgb c) { return c[0] >= 245 && c[1] >= 245 && c[2] >= 245; }

std::string describe(const Image& img, Point p) {
  const auto c = img.at(int(p.x), int(p.y));
  return "(" + std::to_string(int(p.x)) + "," + std::to_string(int(p.y)) + ") is rgb(" +
         std::to_string(c[0]) + "," + std::to_string(c[1]) + "," + std::to_string(c[2]) + ")";
}

// ---------------------------------------------------------------------------------------------
// Histories.

tg::EpochLogs logs(std::size_t epoch, double loss, double val_loss, double acc, double val_acc,
                   double rate, std::vector<tg::MetricValue> metrics = {}) {
  tg::EpochLogs e;
  e.epoch = epoch;
  e.loss = loss;
  e.val_loss = val_loss;
  e.accuracy = acc;
  e.val_accuracy = val_acc;
  e.learning_rate = rate;
  e.steps = 10;
  e.metrics = std::move(metrics);
  return e;
}

// The loss falls, then rises; there is no validation at epoch 3; the rate steps down twice.
const double loss_a[] = {1.8, 1.2, 0.8, 0.6, 0.55, 0.6, 0.75, 0.9};
const double val_a[] = {2.2, 1.5, NAN, 1.0, 0.95, 1.05, 1.2, 1.4};
const double acc_a[] = {0.3, 0.5, 0.6, 0.7, 0.72, 0.71, 0.69, 0.68};
const double val_acc_a[] = {0.25, 0.45, NAN, 0.65, 0.67, 0.66, 0.64, 0.63};
const double rate_a[] = {1e-3, 1e-3, 1e-3, 1e-3, 5e-4, 5e-4, 2.5e-4, 2.5e-4};

tg::History history_a() {
  tg::History h;
  for (std::size_t i = 0; i < 8; ++i)
    h.epochs.push_back(logs(i + 1, loss_a[i], val_a[i], acc_a[i], val_acc_a[i], rate_a[i]));
  return h;
}

std::vector<double> column(const tg::History& h, double tg::EpochLogs::*field) {
  std::vector<double> v;
  for (const auto& e : h.epochs) v.push_back(e.*field);
  return v;
}
std::vector<double> metric_column(const tg::History& h, const std::string& name, bool val) {
  std::vector<double> v;
  for (const auto& e : h.epochs) {
    double x = NAN;
    for (const auto& m : e.metrics)
      if (m.name == name) x = val ? m.val_value : m.value;
    v.push_back(x);
  }
  return v;
}

int svg_width(const Element& root) { return int(number(root.attr("width"))); }
int svg_height(const Element& root) { return int(number(root.attr("height"))); }

}  // namespace

// ---------------------------------------------------------------------------------------------

TEST_CASE("The PNG decoder reads RGB and RGBA with every filter type", "[svg][png]") {
  for (const int channels : {3, 4}) {
    const int w = 7, h = 10;  // rows 0..9: filter types 0..4 twice
    std::vector<unsigned char> pixels(std::size_t(w * h * channels));
    std::uint32_t s = 12345;
    for (auto& p : pixels) p = static_cast<unsigned char>((s = s * 1103515245u + 12345u) >> 24);
    if (channels == 4)
      for (std::size_t i = 3; i < pixels.size(); i += 4) pixels[i] = 255;  // opaque
    const Image img = decode_png(encode_png(w, h, channels, pixels));
    REQUIRE(img.width == w);
    REQUIRE(img.height == h);
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x)
        for (int k = 0; k < 3; ++k)
          REQUIRE(img.at(x, y)[std::size_t(k)] == pixels[std::size_t((y * w + x) * channels + k)]);
  }
  auto png = encode_png(2, 2, 3, std::vector<unsigned char>(12, 9));
  png[png.size() - 20] ^= 1;  // inside the last IDAT: its CRC no longer matches
  CHECK_THROWS_WITH(decode_png(png), Catch::Contains("CRC"));
}

TEST_CASE("History SVG: well-formed, its curves are the data mapped through its tick labels",
          "[svg]") {
  tg::History h = history_a();
  for (std::size_t i = 0; i < 8; ++i)
    h.epochs[i].metrics = {{"mae", 0.5 / double(i + 1), 0.6 / double(i + 1)},
                           {"f1", acc_a[i] - 0.1, i < 4 ? NAN : acc_a[i] - 0.15}};
  h.epochs[5].metrics.erase(h.epochs[5].metrics.begin());  // no mae at epoch 6: a gap
  const std::string svg = h.svg();
  REQUIRE(valid_utf8(svg));
  const auto root = parse_xml(svg);
  REQUIRE(root->name == "svg");
  CHECK(root->attr("xmlns") == "http://www.w3.org/2000/svg");
  CHECK(svg_width(*root) == 800);
  const auto titles = root->all([](const Element& e) { return e.has("class", "title"); });
  REQUIRE(titles.size() == 1);
  CHECK(titles[0]->text == "Training history");
  const auto sub = root->all([](const Element& e) { return e.has("class", "subtitle"); });
  REQUIRE(sub.size() == 1);
  CHECK(sub[0]->text == "8 epochs; solid: training, dashed: validation");

  // Panels: the loss, accuracy with f1 (fractions), mae on its own.
  const auto panels = root->all([](const Element& e) { return e.has("class", "panel"); });
  REQUIRE(panels.size() == 3);
  CHECK(panels[0]->attr("data-name") == "loss");
  CHECK(panels[1]->attr("data-name") == "accuracy, f1");
  CHECK(panels[2]->attr("data-name") == "mae");

  const std::vector<double> epochs = {1, 2, 3, 4, 5, 6, 7, 8};
  struct Expect {
    std::string panel, series;
    std::vector<double> values;
    bool right = false;
  };
  const std::vector<Expect> expect = {
      {"loss", "loss", column(h, &tg::EpochLogs::loss)},
      {"loss", "val_loss", column(h, &tg::EpochLogs::val_loss)},
      {"loss", "learning_rate", column(h, &tg::EpochLogs::learning_rate), true},
      {"accuracy, f1", "accuracy", column(h, &tg::EpochLogs::accuracy)},
      {"accuracy, f1", "val_accuracy", column(h, &tg::EpochLogs::val_accuracy)},
      {"accuracy, f1", "f1", metric_column(h, "f1", false)},
      {"accuracy, f1", "val_f1", metric_column(h, "f1", true)},
      {"mae", "mae", metric_column(h, "mae", false)},
      {"mae", "val_mae", metric_column(h, "mae", true)},
  };
  for (const auto& e : expect) {
    INFO("panel " << e.panel << ", series " << e.series);
    const Element& panel = panel_named(*root, e.panel);
    const Axis x = read_axis(panel, "xtick-label", "x");
    CHECK(x.labels == std::vector<std::string>{"1", "2", "3", "4", "5", "6", "7", "8"});
    const Axis y = read_axis(panel, e.right ? "rtick-label" : "ytick-label", "y");
    // Every value lies on the axis; the axis is not much wider than the data.
    double lo = 1e300, hi = -1e300;
    for (double v : e.values)
      if (!std::isnan(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    const double slack = 1e-9 * (y.values.back() - y.values.front());  // rounding, as 0.3 - 0.1
    CHECK(y.values.front() <= lo + slack);
    CHECK(y.values.back() >= hi - slack);
    const auto runs = expected_runs(epochs, e.values, x, y);
    check_same_runs(polylines(panel, e.series), runs, e.series);
    // One marker per value (8 epochs or fewer than 40: every point has one), at the point.
    const auto m = markers(panel, e.series, e.right ? "rect" : "circle");
    std::size_t finite = 0;
    for (const auto& r : runs) finite += r.size();
    REQUIRE(m.size() == finite);
    std::size_t k = 0;
    for (const auto& r : runs)
      for (const auto& p : r) {
        const double mx = e.right ? number(m[k]->attr("x")) + 2.5 : number(m[k]->attr("cx"));
        const double my = e.right ? number(m[k]->attr("y")) + 2.5 : number(m[k]->attr("cy"));
        CHECK(std::fabs(mx - p.x) < 0.05);
        CHECK(std::fabs(my - p.y) < 0.05);
        ++k;
      }
  }
  // The fraction panel's axis stays inside [0, 1]; the loss axis starts near the data.
  const Axis acc_y = read_axis(panel_named(*root, "accuracy, f1"), "ytick-label", "y");
  CHECK(acc_y.values.front() >= 0);
  CHECK(acc_y.values.back() <= 1);
  const Axis loss_y = read_axis(panel_named(*root, "loss"), "ytick-label", "y");
  CHECK(loss_y.labels.front() == "0.5");
  CHECK(loss_y.labels.back() == "2.5");
  // The learning rate's axis is on the right, labelled like 1e-3.
  const Axis rate_y = read_axis(panel_named(*root, "loss"), "rtick-label", "y");
  CHECK(rate_y.labels == std::vector<std::string>{"0", "5e-4", "1e-3", "1.5e-3"});
  const auto frame = frame_of(panel_named(*root, "loss"));
  for (const auto* t : panel_named(*root, "loss").all([](const Element& e) {
         return e.has("class", "rtick-label");
       }))
    CHECK(number(t->attr("x")) > frame.x1);
  // The legend names every series, solid for training and dashed for validation.
  for (const auto& e : expect) {
    const auto legend = panel_named(*root, e.panel).all([&](const Element& el) {
      return el.has("class", "legend") && el.has("data-series", e.series);
    });
    REQUIRE(legend.size() == 1);
    CHECK(legend[0]->all_text() == e.series + (e.right ? " (right axis)" : ""));
    const auto series = panel_named(*root, e.panel).all([&](const Element& el) {
      return el.has("class", "series") && el.has("data-series", e.series);
    });
    REQUIRE(series.size() == 1);
    const bool dashed = series[0]->attrs.count("stroke-dasharray") > 0;
    CHECK(dashed == (e.series.starts_with("val_") || e.right));
  }
  // A marker's tooltip holds the value as written.
  const auto loss_markers = markers(panel_named(*root, "loss"), "loss", "circle");
  CHECK(loss_markers[0]->all_text() == "epoch 1: loss 1.8");
}

TEST_CASE(
    "History SVG: fractions share a panel, per-class metrics share one, others have their own",
    "[svg]") {
  tg::History h;
  for (std::size_t i = 1; i <= 4; ++i) {
    const double t = double(i) / 10;
    h.epochs.push_back(logs(i, 1 - t, 1.1 - t, 0.5 + t, 0.45 + t, 1e-3,
                            {{"mae", 2 - t, 2.2 - t},
                             {"recall_0", 0.4 + t, 0.3 + t},
                             {"recall_1", 0.5 + t, 0.4 + t},
                             {"recall_2", 0.6 + t, NAN},
                             {"precision", 0.55 + t, 0.5 + t},
                             {"rmse", 3 - t, 3.3 - t},
                             {"auc", i == 1 ? NAN : 0.55 + t, NAN}}));
  }
  const auto root = parse_xml(h.svg());
  std::vector<std::string> names;
  for (const auto* p : root->all([](const Element& e) { return e.has("class", "panel"); }))
    names.push_back(p->attr("data-name"));
  CHECK(names == std::vector<std::string>{"loss", "accuracy, precision, auc", "mae",
                                          "recall per class", "rmse"});
  // A metric with values outside [0, 1] is not a fraction, whatever its name.
  tg::History odd;
  for (std::size_t i = 1; i <= 3; ++i)
    odd.epochs.push_back(logs(i, 1, NAN, NAN, NAN, 1e-3, {{"f1_score", double(i), NAN}}));
  const auto odd_root = parse_xml(odd.svg());
  CHECK(odd_root->all([](const Element& e) { return e.has("data-name", "f1_score"); }).size() == 1);
  // Every per-class series has a colour of its own.
  const Element& classes = panel_named(*root, "recall per class");
  std::vector<std::string> colours;
  for (const auto* g : classes.all([](const Element& e) { return e.has("class", "series"); }))
    if (!g->attr("data-series").starts_with("val_")) colours.push_back(g->attr("stroke"));
  REQUIRE(colours.size() == 3);
  CHECK(colours[0] != colours[1]);
  CHECK(colours[1] != colours[2]);
  CHECK(colours[0] != colours[2]);
  // The fraction panel's axis lies inside [0, 1].
  const Axis y = read_axis(panel_named(*root, "accuracy, precision, auc"), "ytick-label", "y");
  CHECK(y.values.front() >= 0);
  CHECK(y.values.back() <= 1);
}

TEST_CASE("History SVG: extreme values give a well-formed picture with finite coordinates",
          "[svg]") {
  const double specials[] = {0,         -0.0,     1e308,     -1e308, 4.9e-324, -4.9e-324,
                             1e-300,    INFINITY, -INFINITY, NAN,    1,        1 + 1e-15,
                             123456789, -3.5,     0.5,       2e-7};
  std::uint32_t state = 7;
  auto pick = [&] {
    state = state * 1103515245u + 12345u;
    return specials[(state >> 16) % std::size(specials)];
  };
  for (int trial = 0; trial < 200; ++trial) {
    tg::History h;
    const std::size_t n = 1 + std::size_t(trial % 7);
    for (std::size_t i = 1; i <= n; ++i)
      h.epochs.push_back(logs(
          i, pick(), pick(), pick(), pick(), pick(),
          {{"m", pick(), pick()}, {"recall_0", pick(), pick()}, {"recall_1", pick(), pick()}}));
    const std::string svg = h.svg();
    INFO("trial " << trial);
    REQUIRE(valid_utf8(svg));
    const auto root = parse_xml(svg);
    auto finite_numbers = [](const std::string& list) {
      std::string token;
      for (char c : list + " ") {
        if (c == ' ' || c == ',') {
          if (!token.empty() && !std::isfinite(number(token))) return false;
          token.clear();
        } else {
          token += c;
        }
      }
      return true;
    };
    std::string bad;  // the first coordinate that is not a finite number
    for (const auto* e : root->all([](const Element&) { return true; }))
      for (const auto& [key, value] : e->attrs)
        if (bad.empty() &&
            (key == "points" || key == "x" || key == "y" || key == "cx" || key == "cy" ||
             key == "x1" || key == "y1" || key == "x2" || key == "y2" || key == "height") &&
            !finite_numbers(value))
          bad = "<" + e->name + " " + key + "=\"" + value + "\">";
    CHECK(bad == "");
    for (const auto* t :
         root->all([](const Element& e) { return e.has("class", "ytick-label"); })) {
      INFO(t->text);
      CHECK(std::isfinite(number(t->text)));
    }
  }
}

TEST_CASE("History SVG: the same history gives the same bytes, whatever the locale", "[svg]") {
  const tg::History h = history_a();
  const std::string first = h.svg();
  CHECK(h.svg() == first);
  struct Comma : std::numpunct<char> {
    char do_decimal_point() const override { return ','; }
    char do_thousands_sep() const override { return '.'; }
    std::string do_grouping() const override { return "\3"; }
  };
  const std::locale previous = std::locale::global(std::locale(std::locale::classic(), new Comma));
  const std::string under_comma = h.svg();
  std::locale::global(previous);
  CHECK(under_comma == first);

  const auto path = testing::temp_path("history.svg");
  h.write_svg(path);
  const auto bytes = testing::read_bytes(path);
  CHECK(std::string(bytes.begin(), bytes.end()) == first);
  std::filesystem::remove(path);
  CHECK_THROWS_WITH(
      h.write_svg("/nonexistent-dir/h.svg"),
      Catch::Contains("History::write_svg") && Catch::Contains("/nonexistent-dir/h.svg"));
}

TEST_CASE("History SVG: text is escaped for XML, the title is an option", "[svg]") {
  tg::History h;
  const std::string odd = "a<b&\"c'>";
  for (std::size_t i = 1; i <= 3; ++i)
    h.epochs.push_back(logs(i, 1.0 / double(i), NAN, NAN, NAN, 1e-3, {{odd, double(i), NAN}}));
  const std::string svg = h.svg({.title = "run <1> & \"x\" \xff\x01 ok"});
  REQUIRE(valid_utf8(svg));
  const auto root = parse_xml(svg);
  CHECK(root->all([](const Element& e) { return e.has("class", "title"); })[0]->text ==
        "run <1> & \"x\" \xEF\xBF\xBD\xEF\xBF\xBD ok");
  const Element& panel = panel_named(*root, odd);
  const auto legend = panel.all([&](const Element& e) { return e.has("class", "legend"); });
  REQUIRE(legend.size() == 1);
  CHECK(legend[0]->all_text() == odd);
  // No validation data: no dashed series, and the subtitle does not mention it.
  CHECK(root->all([](const Element& e) { return e.has("data-series", "val_loss"); }).empty());
  CHECK(root->all([](const Element& e) { return e.has("class", "subtitle"); })[0]->text ==
        "3 epochs; solid: training");
  // No accuracy: no fraction panel.
  CHECK(root->all([](const Element& e) { return e.has("class", "panel"); }).size() == 2);
}

TEST_CASE("History SVG: an empty history and a single epoch", "[svg]") {
  const auto empty = parse_xml(tg::History{}.svg());
  CHECK(empty->all([](const Element& e) { return e.has("class", "panel"); }).empty());
  CHECK(empty->all([](const Element& e) { return e.has("class", "empty"); })[0]->text ==
        "no epochs");

  tg::History one;
  one.epochs.push_back(logs(1, 0.7, 0.8, 0.6, 0.55, 1e-3));
  const auto root = parse_xml(one.svg());
  const Element& panel = panel_named(*root, "loss");
  const auto frame = frame_of(panel);
  for (const std::string series : {"loss", "val_loss"}) {
    INFO(series);
    CHECK(polylines(panel, series).empty());  // one point: no line...
    const auto m = markers(panel, series, "circle");
    REQUIRE(m.size() == 1);  // ...a marker, in the middle
    CHECK(std::fabs(number(m[0]->attr("cx")) - (frame.x0 + frame.x1) / 2) < 0.05);
  }
  const auto x = panel.all([](const Element& e) { return e.has("class", "xtick-label"); });
  REQUIRE(x.size() == 1);
  CHECK(x[0]->text == "1");
  CHECK(root->all([](const Element& e) { return e.has("class", "subtitle"); })[0]->text ==
        "1 epoch; solid: training, dashed: validation");
}

TEST_CASE("History SVG: a huge first loss is drawn off scale at the top edge", "[svg]") {
  tg::History h;
  const double loss[] = {1e6, 0.9, 0.7, 0.6, 0.5, 0.45};
  const double val[] = {0.95, 0.8, 0.72, 0.66, 0.6, 0.58};
  for (std::size_t i = 0; i < 6; ++i)
    h.epochs.push_back(logs(i + 1, loss[i], val[i], NAN, NAN, 1e-3));
  h.best_epoch = 6;
  const auto root = parse_xml(h.svg());
  const Element& panel = panel_named(*root, "loss");
  const Axis y = read_axis(panel, "ytick-label", "y");
  CHECK(y.values.back() <= 1.0);  // the axis is the other values', not 1e6's
  CHECK(y.values.front() >= 0.4);
  const auto frame = frame_of(panel);
  const auto off = markers(panel, "loss", "path");
  REQUIRE(off.size() == 1);
  CHECK(off[0]->attr("class") == "off-scale");
  CHECK(off[0]->all_text() == "epoch 1: loss 1e+06 (off scale)");
  const auto notes = panel.all([](const Element& e) { return e.has("class", "off-scale-note"); });
  REQUIRE(notes.size() == 1);
  CHECK(notes[0]->text == "off scale, at the edge: loss 1e+06 at epoch 1");
  // The polyline goes to the frame's top edge for epoch 1, then through the values.
  const Axis x = read_axis(panel, "xtick-label", "x");
  const auto lines = polylines(panel, "loss");
  REQUIRE(lines.size() == 1);
  REQUIRE(lines[0].size() == 6);
  CHECK(std::fabs(lines[0][0].x - x(1)) < 0.05);
  CHECK(lines[0][0].y >= frame.y0);
  CHECK(lines[0][0].y < y(y.values.back()) - 3);  // above the top tick
  for (std::size_t i = 1; i < 6; ++i) {
    CHECK(std::fabs(lines[0][i].x - x(double(i + 1))) < 0.05);
    CHECK(std::fabs(lines[0][i].y - y(loss[i])) < 0.05);
  }
  // Early stopping's best epoch is marked.
  const auto best =
      panel.all([](const Element& e) { return e.name == "line" && e.has("class", "best"); });
  REQUIRE(best.size() == 1);
  CHECK(std::fabs(number(best[0]->attr("x1")) - x(6)) < 0.05);
}

TEST_CASE("History SVG rendered by Chromium: the curves are where the data says", "[svg][render]") {
  const tg::History h = history_a();
  const std::string svg = h.svg();
  const auto root = parse_xml(svg);
  const Image img = render(svg, svg_width(*root), svg_height(*root));

  const Element& panel = panel_named(*root, "loss");
  const auto frame = frame_of(panel);
  const Axis x = read_axis(panel, "xtick-label", "x");
  const Axis y = read_axis(panel, "ytick-label", "y");
  const Axis r = read_axis(panel, "rtick-label", "y");
  const std::vector<double> epochs = {1, 2, 3, 4, 5, 6, 7, 8};
  const auto loss = expected_runs(epochs, column(h, &tg::EpochLogs::loss), x, y);
  const auto val = expected_runs(epochs, column(h, &tg::EpochLogs::val_loss), x, y);
  const auto rate = expected_runs(epochs, column(h, &tg::EpochLogs::learning_rate), x, r);
  const Rgb blue = hex("#1f77b4"), grey = hex("#7f7f7f"), orange = hex("#ff7f0e");
  REQUIRE(loss.size() == 1);
  REQUIRE(val.size() == 2);  // the gap at epoch 3

  // The data's premise: the loss falls, then rises; validation points are apart from the
  // training line (both are blue).
  CHECK(loss[0][4].y > loss[0][0].y);  // epoch 5 lower on the picture than epoch 1
  CHECK(loss[0][7].y < loss[0][4].y);  // epoch 8 higher than epoch 5
  for (const auto& run : val)
    for (const auto& p : run) REQUIRE(distance_to_runs(p, loss) > 8);

  // Every point of the loss, the validation loss and the learning rate has its colour.
  for (const auto& [runs, colour, name] :
       {std::tuple{loss, blue, "loss"}, std::tuple{val, blue, "val_loss"},
        std::tuple{rate, grey, "learning_rate"}})
    for (const auto& run : runs)
      for (const auto& p : run) {
        INFO(name << " at " << describe(img, p));
        CHECK(colour_near(img, p, colour, 2, name == std::string("learning_rate") ? 12 : 24));
      }
  // Training is solid: the whole way between points is blue. Validation is dashed: part of the
  // way is blue, part is not.
  for (std::size_t k = 0; k + 1 < loss[0].size(); ++k)
    for (double t = 0.15; t <= 0.85; t += 0.05) {
      const Point p{loss[0][k].x + t * (loss[0][k + 1].x - loss[0][k].x),
                    loss[0][k].y + t * (loss[0][k + 1].y - loss[0][k].y)};
      INFO("loss segment " << k << " t " << t << ": " << describe(img, p));
      CHECK(colour_near(img, p, blue, 1));
    }
  int on = 0, off = 0;
  for (const auto& run : val)
    for (std::size_t k = 0; k + 1 < run.size(); ++k)
      for (double t = 0.1; t <= 0.9; t += 0.02) {
        const Point p{run[k].x + t * (run[k + 1].x - run[k].x),
                      run[k].y + t * (run[k + 1].y - run[k].y)};
        (colour_near(img, p, blue, 0) ? on : off)++;
      }
  INFO("val_loss samples on the dash " << on << ", in the gaps " << off);
  CHECK(on > (on + off) / 3);
  CHECK(off > (on + off) / 5);

  // The missing validation at epoch 3: nothing blue along the way from epoch 2 to epoch 4.
  const Point v2 = val[0].back(), v4 = val[1].front();
  for (double t = 0.15; t <= 0.85; t += 0.05) {
    const Point p{v2.x + t * (v4.x - v2.x), v2.y + t * (v4.y - v2.y)};
    INFO("the val_loss gap at " << describe(img, p));
    CHECK_FALSE(colour_near(img, p, blue, 1));
  }

  // Everywhere else in the frame, away from the curves, the grid and the edges: white.
  std::vector<double> grid_x = x.positions, grid_y = y.positions;
  int checked = 0;
  for (double py = frame.y0 + 4; py < frame.y1 - 4; py += 5)
    for (double px = frame.x0 + 4; px < frame.x1 - 4; px += 5) {
      const Point p{px, py};
      if (distance_to_runs(p, loss) < 7 || distance_to_runs(p, val) < 7 ||
          distance_to_runs(p, rate) < 7)
        continue;
      bool near_grid = false;
      for (double g : grid_x) near_grid = near_grid || std::fabs(px - g) < 3;
      for (double g : grid_y) near_grid = near_grid || std::fabs(py - g) < 3;
      if (near_grid) continue;
      ++checked;
      INFO("background at " << describe(img, p));
      CHECK(white(img.at(int(px), int(py))));
    }
  CHECK(checked > 1500);
  // The margin left of the title and the strip under the last panel are white too.
  for (int py = 0; py < 12; ++py)
    for (int px = 0; px < 200; px += 3) CHECK(white(img.at(px, py)));
  for (int px = 0; px < img.width; px += 3) CHECK(white(img.at(px, img.height - 3)));

  // The accuracy panel below: the orange points where the data says.
  const Element& acc_panel = panel_named(*root, "accuracy");
  const Axis ax = read_axis(acc_panel, "xtick-label", "x");
  const Axis ay = read_axis(acc_panel, "ytick-label", "y");
  for (const auto& run : expected_runs(epochs, column(h, &tg::EpochLogs::accuracy), ax, ay))
    for (const auto& p : run) {
      INFO("accuracy at " << describe(img, p));
      CHECK(colour_near(img, p, orange, 2));
    }
}

TEST_CASE(
    "History SVG rendered by Chromium: one epoch is a marker, off-scale values and odd "
    "names render",
    "[svg][render]") {
  {  // One epoch: a blue dot in the middle of the loss frame and nothing else blue in it.
    tg::History one;
    one.epochs.push_back(logs(1, 0.7, NAN, NAN, NAN, 1e-3));
    const std::string svg = one.svg();
    const auto root = parse_xml(svg);
    const Image img = render(svg, svg_width(*root), svg_height(*root));
    const Element& panel = panel_named(*root, "loss");
    const auto frame = frame_of(panel);
    const Axis y = read_axis(panel, "ytick-label", "y");
    const Point dot{(frame.x0 + frame.x1) / 2, y(0.7)};
    INFO("the single epoch at " << describe(img, dot));
    CHECK(colour_near(img, dot, hex("#1f77b4"), 1, 8));
    int blue_elsewhere = 0;
    for (int py = int(frame.y0) + 2; py < int(frame.y1) - 1; ++py)
      for (int px = int(frame.x0) + 2; px < int(frame.x1) - 1; ++px)
        if (std::hypot(px - dot.x, py - dot.y) > 5 &&
            near_colour(img.at(px, py), hex("#1f77b4"), 60))
          ++blue_elsewhere;
    CHECK(blue_elsewhere == 0);
  }
  {  // A first loss of 1e6, metrics with a name to escape: all of it renders as an SVG.
    tg::History h;
    const double loss[] = {1e6, 0.9, 0.7, 0.6, 0.5};
    for (std::size_t i = 0; i < 5; ++i)
      h.epochs.push_back(
          logs(i + 1, loss[i], NAN, NAN, NAN, 1e-3,
               {{"mae", 1.0 / double(i + 1), NAN}, {"x<&>\"y'", double(i) * 10, double(i) * 9}}));
    const std::string svg = h.svg();
    const auto root = parse_xml(svg);
    const Image img = render(svg, svg_width(*root), svg_height(*root));
    const Element& panel = panel_named(*root, "loss");
    const Axis x = read_axis(panel, "xtick-label", "x");
    const Axis y = read_axis(panel, "ytick-label", "y");
    const auto frame = frame_of(panel);
    for (std::size_t i = 1; i < 5; ++i) {
      const Point p{x(double(i + 1)), y(loss[i])};
      INFO("loss at epoch " << i + 1 << ": " << describe(img, p));
      CHECK(colour_near(img, p, hex("#1f77b4"), 2));
    }
    // The triangle at the top edge for epoch 1.
    const Point top{x(1), frame.y0 + 4};
    INFO("off scale at " << describe(img, top));
    CHECK(colour_near(img, top, hex("#1f77b4"), 2));
    // The metrics' panels, in their colours (the first metric green, the second red).
    for (const auto& [name, colour] : {std::pair{std::string("mae"), hex("#2ca02c")},
                                       std::pair{std::string("x<&>\"y'"), hex("#d62728")}}) {
      const Element& p = panel_named(*root, name);
      const Axis mx = read_axis(p, "xtick-label", "x");
      const Axis my = read_axis(p, "ytick-label", "y");
      for (std::size_t i = 0; i < 5; ++i) {
        const double v = name == "mae" ? 1.0 / double(i + 1) : double(i) * 10;
        const Point q{mx(double(i + 1)), my(v)};
        INFO(name << " at epoch " << i + 1 << ": " << describe(img, q));
        CHECK(colour_near(img, q, colour, 2));
      }
    }
  }
}
