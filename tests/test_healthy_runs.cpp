// Guards users can leave on: textbook recipes on real public tables (tests/data, exported from
// R) train over 10 seeds and splits each with every guard at its default level, and no guard
// warns or stops. A false alarm here is a rule to fix, not a threshold to tune for these tables.
#include <catch2/catch.hpp>
#include <cstdio>
#include <map>
#include <string>
#include <tensorguard/tensorguard.hpp>

namespace tg = tensorguard;

namespace {
std::string data_path(const char* name) { return std::string(TG_TEST_DATA_DIR) + "/" + name; }

struct Outcome {
  std::size_t runs = 0, warnings = 0, stops = 0;
  std::string first;  // the first event, for the failure message
  std::map<std::string, std::size_t> by_code;
  void add(const tg::GuardReport& report) {
    ++runs;
    for (const auto& e : report.events) {
      (e.level == tg::GuardLevel::stop ? stops : warnings) += 1;
      ++by_code[e.code];
      if (first.empty())
        first = "run " + std::to_string(runs) + ", epoch " + std::to_string(e.epoch) + ": [" +
                e.code + "] " + e.message;
    }
  }
};

// seeds x (split, scale on the training part, fit with validation): the recipe as a user writes
// it from docs/getting-started.md and docs/data.md.
// Tables of small integer scores (biopsy) and iris contain identical rows from different
// records, which a random split puts on both sides: TG-DATA-DUPLICATES and TG-DATA-LEAKAGE judge
// them against chance and stay silent.
// scale: false for data already in range (pixels in [0, 1] as read, the examples' recipe).
template <class Net, class Loss, class D, class Optimizer>
Outcome recipe(const D& all, Optimizer optimizer, std::size_t epochs, std::size_t batch,
               bool scale = true) {
  Outcome out;
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    auto [train, validation] = tg::data::split(all, 0.2, seed);
    if (scale) {
      tg::data::StandardScaler scaler;
      scaler.fit_transform(train);
      scaler.transform(validation);
    }
    tg::Model<Net, Loss> model{optimizer, seed};
    tg::FitOptions<D> options{.epochs = epochs,
                              .batch_size = batch,
                              .validation = std::cref(validation),
                              .verbose = tg::Verbosity::silent};
    options.guards.print_warnings = false;
    try {
      out.add(model.fit(train, options).guards);
      // The held-out part evaluated as a test set: its guards (scale, leakage) stay silent too.
      model.evaluate(validation);
      out.add(model.last_guard_report());
      --out.runs;
    } catch (const tg::GuardStop& stop) {
      out.add(stop.report);
    }
  }
  return out;
}

void report(const char* name, const Outcome& o) {
  std::printf("healthy corpus: %-40s %2zu runs, %zu warnings, %zu stops\n", name, o.runs,
              o.warnings, o.stops);
  for (const auto& [code, count] : o.by_code) std::printf("    %s: %zu\n", code.c_str(), count);
  INFO(name << ": " << o.first);
  CHECK(o.warnings == 0);
  CHECK(o.stops == 0);
}
}  // namespace

TEST_CASE("Iris, a 3-class MLP with Adam: no guard fires over 10 splits", "[healthy]") {
  using D = tg::Dataset<tg::Shape<4>, tg::ClassIndex<3>>;
  const auto iris = tg::data::read_csv<tg::Shape<4>, tg::ClassIndex<3>>(data_path("iris.csv"));
  using Net = tg::Sequential<tg::Input<tg::Shape<4>>, tg::Dense<16, tg::ReLU>,
                             tg::Dense<16, tg::ReLU>, tg::Dense<3, tg::Softmax>>;
  report("iris MLP, Adam 1e-3, batch 16, 100 epochs",
         recipe<Net, tg::loss::SparseCategoricalCrossentropy, D>(
             iris, tg::optim::Adam{.learning_rate = 1e-3}, 100, 16));
}

TEST_CASE("Boston housing, a regression MLP with RMSProp and with Adam: no guard fires",
          "[healthy]") {
  using D = tg::Dataset<tg::Shape<13>, tg::Real<tg::Shape<1>>>;
  const auto boston =
      tg::data::read_csv<tg::Shape<13>, tg::Real<tg::Shape<1>>>(data_path("boston.csv"));
  using Net = tg::Sequential<tg::Input<tg::Shape<13>>, tg::Dense<64, tg::ReLU>,
                             tg::Dense<64, tg::ReLU>, tg::Dense<1>>;
  report("Boston MLP (MSE), RMSProp 1e-3, batch 16, 60 epochs",
         recipe<Net, tg::loss::MeanSquaredError, D>(
             boston, tg::optim::RMSProp{.learning_rate = 1e-3}, 60, 16));
  report("Boston MLP (MSE), Adam 1e-3, batch 32, 60 epochs",
         recipe<Net, tg::loss::MeanSquaredError, D>(boston, tg::optim::Adam{.learning_rate = 1e-3},
                                                    60, 32));
}

TEST_CASE("Pima diabetes and breast biopsies, binary MLPs: no guard fires", "[healthy]") {
  using P = tg::Dataset<tg::Shape<7>, tg::Binary>;
  const auto pima = tg::data::read_csv<tg::Shape<7>, tg::Binary>(data_path("pima.csv"));
  using PimaNet = tg::Sequential<tg::Input<tg::Shape<7>>, tg::Dense<16, tg::ReLU>,
                                 tg::Dense<8, tg::ReLU>, tg::Dense<1, tg::Sigmoid>>;
  report("Pima MLP, Adam 1e-3, batch 16, 30 epochs",
         recipe<PimaNet, tg::loss::BinaryCrossentropy, P>(
             pima, tg::optim::Adam{.learning_rate = 1e-3}, 30, 16));

  using B = tg::Dataset<tg::Shape<9>, tg::Binary>;
  const auto biopsy = tg::data::read_csv<tg::Shape<9>, tg::Binary>(data_path("biopsy.csv"));
  using BiopsyNet =
      tg::Sequential<tg::Input<tg::Shape<9>>, tg::Dense<16, tg::ReLU>, tg::Dense<1, tg::Sigmoid>>;
  report("biopsy MLP, Adam 1e-3, batch 32, 40 epochs",
         recipe<BiopsyNet, tg::loss::BinaryCrossentropy, B>(
             biopsy, tg::optim::Adam{.learning_rate = 1e-3}, 40, 32));
}

TEST_CASE("Cats and crabs, tables with repeated and rounded values: no guard fires", "[healthy]") {
  // cats: two measurements rounded to 0.1, 29 of 144 rows equal another row.
  using C = tg::Dataset<tg::Shape<2>, tg::Binary>;
  const auto cats = tg::data::read_csv<tg::Shape<2>, tg::Binary>(data_path("cats.csv"));
  using CatsNet =
      tg::Sequential<tg::Input<tg::Shape<2>>, tg::Dense<8, tg::ReLU>, tg::Dense<1, tg::Sigmoid>>;
  report("cats MLP, RMSProp 1e-3, batch 16, 50 epochs",
         recipe<CatsNet, tg::loss::BinaryCrossentropy, C>(
             cats, tg::optim::RMSProp{.learning_rate = 1e-3}, 50, 16));

  using K = tg::Dataset<tg::Shape<5>, tg::ClassIndex<4>>;
  const auto crabs = tg::data::read_csv<tg::Shape<5>, tg::ClassIndex<4>>(data_path("crabs.csv"));
  using CrabsNet = tg::Sequential<tg::Input<tg::Shape<5>>, tg::Dense<32, tg::ReLU>,
                                  tg::Dense<32, tg::ReLU>, tg::Dense<4, tg::Softmax>>;
  report("crabs MLP, Adam 3e-3, batch 16, 100 epochs",
         recipe<CrabsNet, tg::loss::SparseCategoricalCrossentropy, K>(
             crabs, tg::optim::Adam{.learning_rate = 3e-3}, 100, 16));
}

TEST_CASE("Fashion-MNIST, an MLP on 2,000 images: no guard fires", "[healthy]") {
  using F = tg::Dataset<tg::Shape<28, 28, 1>, tg::ClassIndex<10>>;
  F images;
  try {
    images = tg::data::fashion_mnist().first.first(2000);
  } catch (const std::exception& e) {
    WARN("Fashion-MNIST is not installed (" << e.what() << "); cmake/install-deps.sh installs it");
    SUCCEED();
    return;
  }
  using Net = tg::Sequential<tg::Input<tg::Shape<28, 28, 1>>, tg::Flatten, tg::Dense<64, tg::ReLU>,
                             tg::Dense<10, tg::Softmax>>;
  report("Fashion-MNIST MLP, Adam 1e-3, batch 64, 4 epochs",
         recipe<Net, tg::loss::SparseCategoricalCrossentropy, F>(
             images, tg::optim::Adam{.learning_rate = 1e-3}, 4, 64, /*scale=*/false));
}

TEST_CASE(
    "Multi-label Boston and a Fashion-MNIST autoencoder with binary cross-entropy: no guard "
    "fires",
    "[healthy][labels]") {
  // Three tags per suburb from the table itself: by the river (chas), highway access (rad 24),
  // expensive (medv > 25); the 11 other columns are the features.
  using M = tg::Dataset<tg::Shape<11>, tg::MultiHot<3>>;
  const auto boston =
      tg::data::read_csv<tg::Shape<13>, tg::Real<tg::Shape<1>>>(data_path("boston.csv"));
  M tags;
  for (std::size_t i = 0; i < boston.size(); ++i) {
    const float* row = boston.input(i);
    float x[11];
    std::size_t k = 0;
    for (std::size_t c = 0; c < 13; ++c)
      if (c != 3 && c != 8) x[k++] = row[c];
    const float y[] = {row[3], row[8] == 24.f ? 1.f : 0.f, boston.label(i)[0] > 25.f ? 1.f : 0.f};
    tags.push_back(x, y);
  }
  using Net =
      tg::Sequential<tg::Input<tg::Shape<11>>, tg::Dense<32, tg::ReLU>, tg::Dense<3, tg::Sigmoid>>;
  report("Boston tags (MultiHot<3>), Adam 1e-3, batch 16, 40 epochs",
         recipe<Net, tg::loss::BinaryCrossentropy, M>(tags, tg::optim::Adam{.learning_rate = 1e-3},
                                                      40, 16));

  // Pixels in [0, 1] reconstructed through a 32-unit code (Keras's first autoencoder).
  using A = tg::Dataset<tg::Shape<784>, tg::Probability<tg::Shape<784>>>;
  A pixels;
  try {
    const auto images = tg::data::fashion_mnist().first.first(1000);
    for (std::size_t i = 0; i < images.size(); ++i)
      pixels.push_back({images.input(i), 784}, {images.input(i), 784});
  } catch (const std::exception& e) {
    WARN("Fashion-MNIST is not installed (" << e.what() << "); cmake/install-deps.sh installs it");
    return;
  }
  using Autoencoder = tg::Sequential<tg::Input<tg::Shape<784>>, tg::Dense<32, tg::ReLU>,
                                     tg::Dense<784, tg::Sigmoid>>;
  report("Fashion-MNIST autoencoder (Probability<784>), Adam 1e-3, batch 32, 5 epochs",
         recipe<Autoencoder, tg::loss::BinaryCrossentropy, A>(
             pixels, tg::optim::Adam{.learning_rate = 1e-3}, 5, 32, /*scale=*/false));
}
