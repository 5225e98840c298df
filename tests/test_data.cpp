// Data readers, splits and scalers.
#include <zlib.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <tensorguard/tensorguard.hpp>

#include "test_files.hpp"

namespace tg = tensorguard;
using namespace tg;

namespace {
using testing::idx_bytes;
using testing::temp_path;
void write_plain(const std::string& path, const std::vector<unsigned char>& bytes) {
  testing::write_bytes(path, bytes);
}
void write_gzip(const std::string& path, const std::vector<unsigned char>& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, bytes.data(), unsigned(bytes.size()));
  gzclose(f);
}
}  // namespace

TEST_CASE("IDX files read the same plain and gzip-compressed", "[idx]") {
  std::vector<unsigned char> pixels(2 * 3 * 2);
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<unsigned char>(i * 20);
  const auto bytes = idx_bytes({2, 3, 2}, pixels);
  const auto plain = temp_path("images.idx"), gz = temp_path("images.idx.gz");
  write_plain(plain, bytes);
  write_gzip(gz, bytes);
  const auto a = data::read_idx_samples<Shape<3, 2, 1>>(plain, 1.0 / 255);
  const auto b = data::read_idx_samples<Shape<3, 2, 1>>(gz, 1.0 / 255);
  REQUIRE(a.size() == 12);
  CHECK(a == b);
  CHECK(a[3] == Approx(60.0 / 255));
  // A rank-1 input reads the same bytes flattened.
  CHECK(data::read_idx_samples<Shape<6>>(gz, 1.0 / 255) == a);
  std::filesystem::remove(plain);
  std::filesystem::remove(gz);
}

TEST_CASE("An IDX file whose items differ from the input shape is refused naming both", "[idx]") {
  const auto path = temp_path("wrong.idx.gz");
  write_gzip(path, idx_bytes({1, 28, 28}, std::vector<unsigned char>(784)));
  CHECK_THROWS_WITH(
      (data::read_idx_samples<Shape<32, 32, 3>>(path, 1.0)),
      Catch::Contains("holds items of 28 x 28") && Catch::Contains("input is Shape<32, 32, 3>"));
  std::filesystem::remove(path);
  CHECK_THROWS_WITH(data::read_idx(temp_path("missing")), Catch::Contains("cannot open"));
}

TEST_CASE("Fashion-MNIST loads from the Debian package when installed", "[fashion]") {
  if (!std::filesystem::exists(data::fashion_mnist_directory)) {
    WARN("dataset-fashion-mnist is not installed; skipped");
    return;
  }
  auto [train, test] = data::fashion_mnist();
  CHECK(train.size() == 60000);
  CHECK(test.size() == 10000);
  const auto [lo, hi] = std::minmax_element(test.inputs().begin(), test.inputs().end());
  CHECK(*lo == 0.0f);
  CHECK(*hi == 1.0f);
  CHECK_THROWS_WITH(data::fashion_mnist({.directory = "/nonexistent"}),
                    Catch::Contains("apt-get install dataset-fashion-mnist"));
}

TEST_CASE("CSV rows become samples; a row of the wrong width is refused", "[csv]") {
  const auto path = temp_path("table.csv");
  std::ofstream(path) << "a,b,c,label\n1,2,3,0\n4,,6,1\n";
  const auto d = data::read_csv<Shape<3>, ClassIndex<2>>(path);
  REQUIRE(d.size() == 2);
  CHECK(d.input(0)[2] == 3.0f);
  CHECK(std::isnan(d.input(1)[1]));  // a missing value is NaN, left for the data guards
  CHECK(d.label(1)[0] == 1);
  CHECK_THROWS_WITH((data::read_csv<Shape<4>, ClassIndex<2>>(path)),
                    Catch::Contains("line 2 has 4 columns but the dataset needs 4 features"));
  std::filesystem::remove(path);
}

TEST_CASE("A split is shuffled, complete and reproducible", "[split]") {
  Dataset<Shape<1>, Real<Shape<1>>> all;
  for (int i = 0; i < 100; ++i) {
    const float x = float(i);
    all.push_back(std::span<const float>(&x, 1), std::span<const float>(&x, 1));
  }
  const auto [train, val] = data::split(all, 0.2, 5);
  CHECK(train.size() == 80);
  CHECK(val.size() == 20);
  std::vector<float> seen(train.inputs().begin(), train.inputs().end());
  seen.insert(seen.end(), val.inputs().begin(), val.inputs().end());
  std::sort(seen.begin(), seen.end());
  for (int i = 0; i < 100; ++i) CHECK(seen[std::size_t(i)] == float(i));
  CHECK(!std::is_sorted(val.inputs().begin(), val.inputs().end()));
  const auto again = data::split(all, 0.2, 5);
  CHECK(std::equal(val.inputs().begin(), val.inputs().end(), again.second.inputs().begin()));
}

TEST_CASE("Scalers fit on training data and apply the same transform elsewhere", "[scaler]") {
  Dataset<Shape<2>, Binary> train, test;
  const float rows[][2] = {{0, 10}, {5, 20}, {10, 30}};
  const float label = 0;
  for (auto& r : rows) train.push_back(r, std::span<const float>(&label, 1));
  const float t[] = {20, 10};
  test.push_back(t, std::span<const float>(&label, 1));

  data::MinMaxScaler minmax;
  minmax.fit(train);
  auto scaled = train;
  minmax.transform(scaled);
  CHECK(scaled.input(2)[0] == 1.0f);
  CHECK(scaled.input(1)[1] == 0.5f);
  minmax.transform(test);
  CHECK(test.input(0)[0] == 2.0f);  // beyond the training range, as fitted

  data::StandardScaler standard;
  auto z = train;
  standard.fit_transform(z);
  CHECK(z.input(0)[0] == Approx(-std::sqrt(1.5)));
  CHECK(z.input(1)[1] == Approx(0.0).margin(1e-6));
  data::StandardScaler unfitted;
  CHECK_THROWS_WITH(unfitted.transform(z), Catch::Contains("fit the scaler on the training data"));
}

TEST_CASE("Scalers save, load in another program, and transform raw rows", "[scaler]") {
  Dataset<Shape<3>, Binary> train;
  Rng rng(41);
  const float label = 1;
  for (int i = 0; i < 50; ++i) {
    const float row[] = {float(rng.uniform(-3, 9)), float(rng.normal() * 1e4), 0.125f};
    train.push_back(row, std::span<const float>(&label, 1));
  }
  const std::vector<float> raw{1.5f, -2e3f, 0.125f, 7.0f, NAN, 3.0f};  // two served rows
  auto check_round_trip = [&](const auto& fitted, const auto& loaded) {
    auto a = train, b = train;
    fitted.transform(a);
    loaded.transform(b);
    CHECK(std::equal(a.inputs().begin(), a.inputs().end(), b.inputs().begin()));  // exactly
    // A span of raw rows gets what a dataset of those rows gets.
    Dataset<Shape<3>, Binary> rows;
    rows.push_back(std::span<const float>(raw.data(), 3), std::span<const float>(&label, 1));
    rows.push_back(std::span<const float>(raw.data() + 3, 3), std::span<const float>(&label, 1));
    loaded.transform(rows);
    auto values = raw;
    loaded.transform(std::span<float>(values));
    for (std::size_t i = 0; i < values.size(); ++i)
      if (std::isnan(raw[i]))
        CHECK(std::isnan(values[i]));  // missing values stay missing, as in a dataset
      else
        CHECK(values[i] == rows.inputs()[i]);
    std::vector<float> ragged(4);
    CHECK_THROWS_WITH(loaded.transform(std::span<float>(ragged)),
                      Catch::Contains("4 values are not whole rows of 3 features"));
  };
  const auto standard_path = temp_path("standard.scaler"), minmax_path = temp_path("minmax.scaler");
  data::StandardScaler standard;
  standard.fit(train);
  standard.save(standard_path);
  check_round_trip(standard, data::StandardScaler::load(standard_path));
  data::MinMaxScaler minmax(-1, 1);
  minmax.fit(train);
  minmax.save(minmax_path);
  const auto loaded_minmax = data::MinMaxScaler::load(minmax_path);
  check_round_trip(minmax, loaded_minmax);
  CHECK(loaded_minmax.data_min() == minmax.data_min());

  // Files that are not what they claim are refused, naming the file and the line.
  auto refused = [&](const std::string& text, const char* why) {
    const auto path = temp_path("bad.scaler");
    std::ofstream(path) << text;
    CHECK_THROWS_WITH(
        data::StandardScaler::load(path),
        Catch::Contains("StandardScaler: '" + path + "' line") && Catch::Contains(why));
  };
  refused("", "empty file");
  refused("hello\n", "not a tensorguard scaler file");
  refused("tensorguard-scaler 2 StandardScaler 1 0 0\n0 1\n", "version 2");
  refused("tensorguard-scaler 1 MinMaxScaler 1 0 1\n0 1\n", "it holds a MinMaxScaler");
  refused("tensorguard-scaler 1 StandardScaler 3 0 0\n0 1\n", "ends after 1 of 3 features");
  refused("tensorguard-scaler 1 StandardScaler 1 0 0\n0 -1\n", "has scale -1, not positive");
  refused("tensorguard-scaler 1 StandardScaler 1 0 0\nnan 1\n", "expected two finite numbers");
  refused("tensorguard-scaler 1 StandardScaler 1 0 0\n0 1 2\n", "expected two finite numbers");
  refused("tensorguard-scaler 1 StandardScaler 1 0 0\n0 1\n5 5\n", "unexpected text after");
  refused("tensorguard-scaler 1 StandardScaler 1e12 0 0\n", "not a whole number in [1, 1e8]");
  refused("tensorguard-scaler 1 StandardScaler 1.5 0 0\n", "not a whole number");
  CHECK_THROWS_WITH(data::StandardScaler::load(temp_path("no such scaler")),
                    Catch::Contains("cannot read"));
  data::StandardScaler unfitted;
  CHECK_THROWS_WITH(unfitted.save(temp_path("unfitted.scaler")),
                    Catch::Contains("fit the scaler on the training data"));
  std::filesystem::remove(standard_path);
  std::filesystem::remove(minmax_path);
}

TEST_CASE("A dataset refuses labels that do not match its samples", "[dataset]") {
  using D = Dataset<Shape<2>, ClassIndex<3>>;
  CHECK_THROWS_WITH(D(std::vector<float>(6), std::vector<std::int32_t>(2)),
                    Catch::Contains("give one label per sample"));
}
