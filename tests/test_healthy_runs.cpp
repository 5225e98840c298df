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
// Still open (issue 12): tables of small integer scores (biopsy) and iris contain identical rows
// from different records; TG-DATA-DUPLICATES and TG-DATA-LEAKAGE do not yet judge them against
// chance. Those recipes run with the two guards off, so the test holds every other rule to 0.
struct Open {
  bool duplicates = false;
};

template <class Net, class Loss, class D, class Optimizer>
Outcome recipe(const D& all, Optimizer optimizer, std::size_t epochs, std::size_t batch,
               Open open = {}, std::size_t seeds = 10) {
  Outcome out;
  for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
    auto [train, validation] = tg::data::split(all, 0.2, seed);
    tg::data::StandardScaler scaler;
    scaler.fit_transform(train);
    scaler.transform(validation);
    tg::Model<Net, Loss> model{optimizer, seed};
    tg::FitOptions<D> options{.epochs = epochs,
                              .batch_size = batch,
                              .validation = std::cref(validation),
                              .verbose = tg::Verbosity::silent};
    options.guards.print_warnings = false;
    if (open.duplicates)
      options.guards.set(tg::guard::data_duplicates, tg::GuardLevel::off)
          .set(tg::guard::data_leakage, tg::GuardLevel::off);
    try {
      out.add(model.fit(train, options).guards);
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
             iris, tg::optim::Adam{.learning_rate = 1e-3}, 100, 16, Open{.duplicates = true}));
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
             biopsy, tg::optim::Adam{.learning_rate = 1e-3}, 40, 32, Open{.duplicates = true}));
}
