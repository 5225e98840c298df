// Model behaviour: training converges, seeds reproduce, weights round-trip, mismatches are
// refused with the layer and both shapes, and the user-facing outputs say what they should.
#include <catch2/catch.hpp>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <tensorguard/tensorguard.hpp>

#include "random_dataset.hpp"

namespace tg = tensorguard;
using namespace tg;

namespace {

// Three Gaussian blobs in the plane, one per class.
Dataset<Shape<2>, ClassIndex<3>> blobs(std::size_t n, std::uint64_t seed) {
  Rng rng(seed);
  Dataset<Shape<2>, ClassIndex<3>> d;
  const float cx[] = {-1.f, 1.f, 0.f}, cy[] = {-0.5f, -0.5f, 1.f};
  for (std::size_t i = 0; i < n; ++i) {
    const auto k = std::int32_t(rng.below(3));
    const float x[] = {cx[k] + 0.3f * float(rng.normal()), cy[k] + 0.3f * float(rng.normal())};
    d.push_back(x, std::span<const std::int32_t>(&k, 1));
  }
  return d;
}

// 8x8 images of a horizontal (class 0) or vertical (class 1) bar at a random place.
Dataset<Shape<8, 8, 1>, ClassIndex<2>> bars(std::size_t n, std::uint64_t seed) {
  Rng rng(seed);
  Dataset<Shape<8, 8, 1>, ClassIndex<2>> d;
  std::vector<float> img(64);
  for (std::size_t i = 0; i < n; ++i) {
    const auto k = std::int32_t(rng.below(2));
    const auto at = rng.below(8);
    for (std::size_t p = 0; p < 64; ++p)
      img[p] = 0.1f * float(rng.uniform()) + ((k == 0 ? p / 8 : p % 8) == at ? 0.9f : 0.f);
    d.push_back(img, std::span<const std::int32_t>(&k, 1));
  }
  return d;
}

using Mlp = Sequential<Input<Shape<2>>, Dense<16, ReLU>, Dense<3, Softmax>>;
using Cnn = Sequential<Input<Shape<8, 8, 1>>, Conv2D<4, Kernel<3>, ReLU>, MaxPool2D<Pool<2>>,
                       Flatten, Dense<2, Softmax>>;
using Sparse = loss::SparseCategoricalCrossentropy;

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("tg_test_" + name)).string();
}

}  // namespace

TEST_CASE("An MLP learns three blobs and a CNN learns bar orientation in seconds", "[train]") {
  const auto train = blobs(600, 1), test = blobs(300, 2);
  Model<Mlp, Sparse> mlp{optim::Adam{.learning_rate = 0.01}};
  const auto before = mlp.evaluate(test);
  const auto history =
      mlp.fit(train, {.epochs = 15, .batch_size = 32, .verbose = Verbosity::silent});
  const auto after = mlp.evaluate(test);
  CHECK(history.epochs.size() == 15);
  CHECK(history.last().loss < history.epochs.front().loss);
  CHECK(after.loss < before.loss / 2);
  CHECK(after.accuracy > 0.9);

  Model<Cnn, Sparse> cnn{optim::Adam{.learning_rate = 0.01}};
  cnn.fit(bars(400, 3), {.epochs = 8, .batch_size = 16, .verbose = Verbosity::silent});
  CHECK(cnn.evaluate(bars(200, 4)).accuracy > 0.95);
}

TEST_CASE("The first loss of a K-class softmax model is within ln K of ln K", "[train]") {
  // TheDeepChecker's bad-initialisation rule: |L0 - ln K| < ln K for a sound initialisation.
  Model<Mlp, Sparse> model;
  CHECK(model.evaluate(blobs(300, 5)).loss == Approx(std::log(3.0)).margin(std::log(3.0)));
}

TEST_CASE("The same seed gives bit-identical weights and training", "[seed]") {
  Model<Cnn, Sparse> a{optim::Adam{}, 123}, b{optim::Adam{}, 123}, c{optim::Adam{}, 124};
  CHECK(a.get_weights() == b.get_weights());
  CHECK(a.get_weights() != c.get_weights());
  const auto data = bars(64, 9);
  a.fit(data, {.epochs = 2, .batch_size = 8, .verbose = Verbosity::silent});
  b.fit(data, {.epochs = 2, .batch_size = 8, .verbose = Verbosity::silent});
  CHECK(a.get_weights() == b.get_weights());
}

TEST_CASE("Saving then loading gives identical predictions", "[weights]") {
  using Net = Sequential<Input<Shape<8, 8, 1>>, Conv2D<4, Kernel<3>, ReLU>, BatchNormalization,
                         MaxPool2D<Pool<2>>, Flatten, Dense<2, Softmax>>;
  const auto data = bars(64, 10);
  Model<Net, Sparse> trained;
  trained.fit(data, {.epochs = 1, .batch_size = 16, .verbose = Verbosity::silent});
  const auto path = temp_path("roundtrip.tgw");
  trained.save(path);
  Model<Net, Sparse> fresh{optim::Adam{}, 999};
  CHECK(fresh.predict(data) != trained.predict(data));
  fresh.load(path);
  CHECK(fresh.predict(data) == trained.predict(data));  // running statistics included
  std::filesystem::remove(path);
}

TEST_CASE("Loading weights of another model names the first differing layer and both shapes",
          "[weights]") {
  using Saved =
      Sequential<Input<Shape<8, 8, 1>>, Conv2D<4, Kernel<3>, ReLU>, Flatten, Dense<2, Softmax>>;
  using Other =
      Sequential<Input<Shape<8, 8, 1>>, Conv2D<6, Kernel<3>, ReLU>, Flatten, Dense<2, Softmax>>;
  const auto path = temp_path("mismatch.tgw");
  Model<Saved, Sparse>{}.save(path);
  Model<Other, Sparse> other;
  const std::vector<float> before = other.get_weights();
  try {
    other.load(path);
    FAIL("load accepted weights of another model");
  } catch (const WeightsMismatch& e) {
    const std::string what = e.what();
    INFO(what);
    CHECK(what.find("layer 2") != std::string::npos);
    CHECK(
        what.find("Conv2D<4, Kernel<3, 3>, ReLU> (input Shape<8, 8, 1>, output Shape<6, 6, 4>)") !=
        std::string::npos);
    CHECK(
        what.find("Conv2D<6, Kernel<3, 3>, ReLU> (input Shape<8, 8, 1>, output Shape<6, 6, 6>)") !=
        std::string::npos);
  }
  CHECK(before == other.get_weights());  // unchanged

  Model<Saved, loss::SparseCategoricalCrossentropy> same;
  CHECK_NOTHROW(same.load(path));
  std::ofstream(path, std::ios::binary) << "not weights";
  CHECK_THROWS_AS(same.load(path), WeightsMismatch);
  std::filesystem::remove(path);
}

TEST_CASE("summary lists every layer with its output shape and parameters", "[summary]") {
  using Net = Sequential<Input<Shape<28, 28, 1>>, Conv2D<32, Kernel<3, 3>, ReLU>,
                         MaxPool2D<Pool<2, 2>>, Flatten, Dense<10, Softmax>>;
  Model<Net, Sparse> model;
  std::ostringstream out;
  model.summary(out);
  const std::string s = out.str();
  INFO(s);
  CHECK(s.find("Conv2D<32, Kernel<3, 3>, ReLU>") != std::string::npos);
  CHECK(s.find("Shape<26, 26, 32>") != std::string::npos);
  CHECK(s.find("Shape<5408>") != std::string::npos);
  CHECK(s.find("54,090") != std::string::npos);
  CHECK(s.find("Total params: 54,410") != std::string::npos);
}

namespace {
// The layer rows of a summary: each kind starts in one column whatever the layer number's
// length, each shape starts under "Output shape", whole (a gap after it), and each parameter
// count ends where the header's "Params" does. Returns the rows seen.
template <class M>
std::size_t check_summary_columns(M& model) {
  std::ostringstream out;
  model.summary(out);
  INFO(out.str());
  std::istringstream lines(out.str());
  std::size_t shape_column = std::string::npos, params_end = 0, rows = 0;
  std::size_t kind_column = std::string::npos;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("Layer (kind)", 0) == 0) {
      shape_column = line.find("Output shape");
      params_end = line.find_last_not_of(' ');
      continue;
    }
    if (line.empty() || !std::isdigit(static_cast<unsigned char>(line[0]))) continue;
    ++rows;
    const std::size_t kind_at = line.find_first_not_of(' ', line.find(' '));
    if (kind_column == std::string::npos) kind_column = kind_at;
    CHECK(kind_at == kind_column);
    REQUIRE(shape_column != std::string::npos);
    CHECK(line.compare(shape_column, 6, "Shape<") == 0);
    CHECK(line[shape_column - 1] == ' ');
    const auto close = line.find('>', shape_column);
    REQUIRE(close != std::string::npos);
    CHECK(line.substr(close + 1, 2) == "  ");
    CHECK(line.find_last_not_of(' ') == params_end);
  }
  return rows;
}
}  // namespace

TEST_CASE("summary keeps its columns aligned past layer 9 and for long shapes", "[summary]") {
  using Deep =
      Sequential<Input<Shape<4>>, Dense<8, ReLU>, Dense<8, ReLU>, Dense<8, ReLU>, Dense<8, ReLU>,
                 Dense<8, ReLU>, Dense<8, ReLU>, Dense<8, ReLU>, Dense<8, ReLU>, Dense<1000, ReLU>,
                 Reshape<Shape<10, 10, 10>>, Flatten, Dense<3, Softmax>>;
  Model<Deep, Sparse> deep;
  CHECK(check_summary_columns(deep) == 13);  // Input and 12 layers, 10 to 13 among them
  using Wide = Sequential<Input<Shape<1024, 1024, 512>>, Conv2D<1024, Kernel<1>, ReLU>,
                          GlobalAveragePool2D, Dense<3, Softmax>>;  // Shape<1024, 1024, 1024>
  Model<Wide, Sparse> wide;
  CHECK(check_summary_columns(wide) == 4);
}

TEST_CASE("Branches appear nested in the summary and in the weights header", "[summary]") {
  using Net =
      Sequential<Input<Shape<6, 6, 2>>,
                 Concat<-1, Branch<Conv2D<3, Kernel<1>>>, Branch<Conv2D<2, Kernel<3>, Same>>>,
                 GlobalAveragePool2D, Dense<2, Softmax>>;
  const auto records = Model<Net, Sparse>::records();
  REQUIRE(records.size() == 5);
  CHECK(records[0].kind == "Concat<axis -1, 2 branches>");
  CHECK(records[1].path == "2.1.1");
  CHECK(records[2].path == "2.2.1");
  CHECK(dims_string(records[0].output_dims) == "Shape<6, 6, 5>");
}

TEST_CASE("fit reports progress per epoch, writes its history and obeys callbacks", "[fit]") {
  Model<Mlp, Sparse> model{
      optim::Adam{.learning_rate = 1e-3f}};  // a float, as the README writes it
  std::size_t epochs_seen = 0;
  Callback stop_after_two{.on_epoch_end = [&](const EpochLogs& logs, TrainingControl& c) {
    ++epochs_seen;
    if (logs.epoch == 2) c.stop = true;
  }};
  const auto train = blobs(100, 11), val = blobs(50, 12);
  const auto history = model.fit(train, {.epochs = 10,
                                         .batch_size = 30,
                                         .validation = val,
                                         .verbose = Verbosity::silent,
                                         .callbacks = {stop_after_two}});
  CHECK(epochs_seen == 2);
  REQUIRE(history.epochs.size() == 2);
  CHECK(history.last().steps == 4);
  CHECK(!std::isnan(history.last().val_accuracy));
  const auto path = temp_path("history.csv");
  history.write_csv(path);
  std::ifstream in(path);
  std::string header, row;
  std::getline(in, header);
  std::getline(in, row);
  CHECK(header == "epoch,loss,accuracy,val_loss,val_accuracy,seconds,learning_rate,steps");
  CHECK(row.rfind("1,", 0) == 0);
  // The rate as it was written (1e-3f), not 0.00100000005.
  INFO(row);
  CHECK(row.find(",0.001,4") != std::string::npos);
  std::filesystem::remove(path);
}

TEST_CASE("Class labels outside 0 to K-1 are refused before training", "[fit]") {
  auto data = blobs(20, 13);
  data.labels()[7] = 3;
  Model<Mlp, Sparse> model;
  CHECK_THROWS_WITH(model.fit(data, {.verbose = Verbosity::silent}),
                    Catch::Contains("row 7 has class 3 outside [0, 3)"));
}

TEST_CASE("predict checks that inputs are whole samples", "[predict]") {
  Model<Mlp, Sparse> model;
  const std::vector<float> three(3);
  CHECK_THROWS_WITH(model.predict(three), Catch::Contains("not whole samples of Shape<2>"));
  const std::vector<float> two_samples{0.f, 1.f, 1.f, 0.f};
  const auto out = model.predict(two_samples);
  REQUIRE(out.size() == 6);
  CHECK(out[0] + out[1] + out[2] == Approx(1.0f));
}

TEST_CASE("predict takes a pointer and a count, and predict_classes gives the classes",
          "[predict]") {
  Model<Mlp, Sparse> model;
  const auto data = blobs(50, 21);
  model.fit(data, {.epochs = 20, .batch_size = 10, .verbose = Verbosity::silent});
  const auto from_dataset = model.predict(data);
  const std::vector<float> inputs(data.inputs().begin(), data.inputs().end());
  CHECK(model.predict(inputs.data(), data.size()) == from_dataset);
  std::vector<float> writable = inputs;  // a float*, not only a const float*
  const auto first_three = model.predict(writable.data(), 3);
  REQUIRE(first_three.size() == 9);
  for (std::size_t i = 0; i < 9; ++i)  // a smaller batch: other GEMM blocking, last bits differ
    CHECK(first_three[i] == Approx(from_dataset[i]).epsilon(1e-5));

  const auto classes = model.predict_classes(data);
  REQUIRE(classes.size() == data.size());
  std::size_t agree = 0;
  for (std::size_t s = 0; s < classes.size(); ++s) {
    const float* y = from_dataset.data() + 3 * s;
    CHECK(classes[s] == std::max_element(y, y + 3) - y);
    agree += classes[s] == data.label(s)[0];
  }
  CHECK(double(agree) / double(data.size()) == Approx(model.evaluate(data).accuracy));
  CHECK(model.predict_classes(inputs.data(), data.size()) == classes);
  CHECK(decltype(model)::classes_of(from_dataset) == classes);

  // One sigmoid output: class 1 above 0.5.
  using Bin = Sequential<Input<Shape<2>>, Dense<4, Tanh>, Dense<1, Sigmoid>>;
  Model<Bin, loss::BinaryCrossentropy> binary;
  const std::vector<float> point{0.3f, -0.2f};
  const float p = binary.predict(point)[0];
  CHECK(binary.predict_classes(point) == std::vector<std::int32_t>{p > 0.5f ? 1 : 0});
}

TEST_CASE("Binary, one-hot and regression models train with their losses", "[train]") {
  // Binary: is x0 + x1 > 0?
  Dataset<Shape<2>, Binary> bin;
  Rng rng(14);
  for (int i = 0; i < 400; ++i) {
    const float x[] = {float(rng.uniform(-1, 1)), float(rng.uniform(-1, 1))};
    const float y = x[0] + x[1] > 0 ? 1.f : 0.f;
    bin.push_back(x, std::span<const float>(&y, 1));
  }
  Model<Sequential<Input<Shape<2>>, Dense<8, Tanh>, Dense<1, Sigmoid>>, loss::BinaryCrossentropy>
      binary{optim::Adam{.learning_rate = 0.02}};
  binary.fit(bin, {.epochs = 20, .verbose = Verbosity::silent});
  CHECK(binary.evaluate(bin).accuracy > 0.95);

  // Regression: y = 2 x0 - x1.
  Dataset<Shape<2>, Real<Shape<1>>> reg;
  for (int i = 0; i < 400; ++i) {
    const float x[] = {float(rng.uniform(-1, 1)), float(rng.uniform(-1, 1))};
    const float y = 2 * x[0] - x[1];
    reg.push_back(x, std::span<const float>(&y, 1));
  }
  Model<Sequential<Input<Shape<2>>, Dense<1>>, loss::MeanSquaredError> linear{
      optim::SGD{.learning_rate = 0.1, .momentum = 0.9}};
  linear.fit(reg, {.epochs = 20, .verbose = Verbosity::silent});
  const auto e = linear.evaluate(reg);
  CHECK(e.loss < 1e-4);
  CHECK(std::isnan(e.accuracy));
}

TEST_CASE("Two threads train the same model as one thread", "[threads]") {
  using Net = Sequential<Input<Shape<28, 28, 1>>, Conv2D<32, Kernel<3>, ReLU>, MaxPool2D<Pool<2>>,
                         Flatten, Dense<10, Softmax>>;
  auto data = testing::random_dataset<Shape<28, 28, 1>, 10>(256, 30);
  Model<Net, Sparse> one, two;
  testing::set_threads(one, 1);
  testing::set_threads(two, 2);
  const FitOptions<decltype(data)> options{
      .epochs = 1, .batch_size = 128, .shuffle = false, .verbose = Verbosity::silent};
  one.fit(data, options);
  two.fit(data, options);
  double worst = 0;
  const auto w1 = one.get_weights(), w2 = two.get_weights();
  for (std::size_t i = 0; i < w1.size(); ++i)
    worst = std::max(worst, double(std::abs(w1[i] - w2[i])));
  // Each thread takes half the batch on its own replica; summing the halves reorders additions.
  CHECK(worst < 1e-5);
}

TEST_CASE("Validation between epochs does not touch the next epoch's batches", "[fit]") {
  // Batches of 300 samples, validation in batches of 256: a smaller pass between epochs must
  // not move the labels under the larger training batch.
  using Net = Sequential<Input<Shape<8>>, Dense<16, ReLU>, Dense<3, Softmax>>;
  const auto train = testing::random_dataset<Shape<8>, 3>(900, 61);
  const auto validation = testing::random_dataset<Shape<8>, 3>(400, 62);
  Model<Net, Sparse> with, without;
  const FitOptions<std::decay_t<decltype(train)>> plain{
      .epochs = 3,
      .batch_size = 300,
      .verbose = Verbosity::silent,
      .guards = GuardPolicy::all(GuardLevel::off)};
  auto validated = plain;
  validated.validation = std::cref(validation);
  const auto a = with.fit(train, validated), b = without.fit(train, plain);
  for (std::size_t e = 0; e < 3; ++e) CHECK(a.epochs[e].loss == b.epochs[e].loss);
  CHECK(with.get_weights() == without.get_weights());
  // predict in between, with a smaller batch, neither.
  without.predict(validation, 7);
  with.fit(train, plain);
  without.fit(train, plain);
  CHECK(with.get_weights() == without.get_weights());
}
