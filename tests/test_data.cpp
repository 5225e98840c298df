// Data readers, splits and scalers.
#include <zlib.h>

#include <catch2/catch.hpp>
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

TEST_CASE("A dataset refuses labels that do not match its samples", "[dataset]") {
  using D = Dataset<Shape<2>, ClassIndex<3>>;
  CHECK_THROWS_WITH(D(std::vector<float>(6), std::vector<std::int32_t>(2)),
                    Catch::Contains("give one label per sample"));
}
