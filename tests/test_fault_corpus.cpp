// The fault corpus: each fault a user makes, injected into real public data (tests/data, and
// Fashion-MNIST when installed) the way a user would make it, with guards at their defaults.
// Each must be reported with its own code, and nothing unrelated may stop the run. The table
// (fault, expected, fired, where, time to detection) is printed for docs/guards.md.
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <set>
#include <string>
#include <tensorguard/tensorguard.hpp>

namespace tg = tensorguard;

namespace {
std::string data_path(const char* name) { return std::string(TG_TEST_DATA_DIR) + "/" + name; }

using Clock = std::chrono::steady_clock;

// What a scenario produced: the guards' report (fit's, evaluate's or the stop's).
struct Run {
  tg::GuardReport report;
  bool stopped = false;
};

template <class F>
Run attempt(F&& body) {
  Run r;
  try {
    r.report = body();
  } catch (const tg::GuardStop& stop) {
    r.report = stop.report;
    r.stopped = true;
  }
  return r;
}

void judge(const char* fault, std::set<std::string> expected,
           const std::function<Run()>& scenario) {
  const auto start = Clock::now();
  const Run run = scenario();
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  const tg::GuardEvent* hit = nullptr;
  std::string others, unrelated_stop;
  for (const auto& e : run.report.events) {
    if (expected.count(e.code)) {
      if (!hit) hit = &e;
    } else {
      others += " " + e.code;
      if (e.level == tg::GuardLevel::stop) unrelated_stop = e.code + ": " + e.message;
    }
  }
  std::string where = "-";
  if (hit)
    where = hit->epoch == 0
                ? "data check"
                : "epoch " + std::to_string(hit->epoch) + ", step " + std::to_string(hit->step);
  std::printf("fault corpus | %-58s | %-30s | %-30s | %-5s | %-22s | %7.0f ms |%s\n", fault,
              expected.begin()->c_str(), hit ? hit->code.c_str() : "(none)",
              hit ? (hit->level == tg::GuardLevel::stop ? "stop" : "warn") : "-", where.c_str(), ms,
              others.empty() ? "" : (" also:" + others).c_str());
  INFO(fault << (hit ? ": " + hit->message : std::string(": nothing fired")));
  CHECK(hit != nullptr);
  INFO("unrelated stop: " << unrelated_stop);
  CHECK(unrelated_stop.empty());
}

tg::FitOptions<tg::Dataset<tg::Shape<7>, tg::Binary>> quiet_pima(std::size_t epochs) {
  tg::FitOptions<tg::Dataset<tg::Shape<7>, tg::Binary>> o{
      .epochs = epochs, .batch_size = 16, .verbose = tg::Verbosity::silent};
  o.guards.print_warnings = false;
  return o;
}

template <class D>
void quiet(tg::FitOptions<D>& o) {
  o.verbose = tg::Verbosity::silent;
  o.guards.print_warnings = false;
}

using PimaData = tg::Dataset<tg::Shape<7>, tg::Binary>;
using PimaNet = tg::Sequential<tg::Input<tg::Shape<7>>, tg::Dense<16, tg::ReLU>,
                               tg::Dense<8, tg::ReLU>, tg::Dense<1, tg::Sigmoid>>;
using PimaModel = tg::Model<PimaNet, tg::loss::BinaryCrossentropy>;
using IrisData = tg::Dataset<tg::Shape<4>, tg::ClassIndex<3>>;
using IrisNet =
    tg::Sequential<tg::Input<tg::Shape<4>>, tg::Dense<16, tg::ReLU>, tg::Dense<3, tg::Softmax>>;
using IrisModel = tg::Model<IrisNet, tg::loss::SparseCategoricalCrossentropy>;
using BostonData = tg::Dataset<tg::Shape<13>, tg::Real<tg::Shape<1>>>;
using BostonNet = tg::Sequential<tg::Input<tg::Shape<13>>, tg::Dense<64, tg::ReLU>,
                                 tg::Dense<64, tg::ReLU>, tg::Dense<1>>;
using BostonModel = tg::Model<BostonNet, tg::loss::MeanSquaredError>;

// fit, quietly: the report of its guards (or of the stop).
template <class M, class D>
Run fit_report(M& m, const D& train, tg::FitOptions<D> o) {
  quiet(o);
  return attempt([&] { return m.fit(train, o).guards; });
}

// fit, then one call on held-out data (evaluate or predict): the report of that call's guards.
template <class M, class D, class Then>
Run fit_then(M& m, const D& train, tg::FitOptions<D> o, Then&& then) {
  quiet(o);
  return attempt([&] {
    m.fit(train, o);
    then();
    return m.last_guard_report();
  });
}

// The textbook recipe: split, fit a scaler on the training part, transform both.
template <class D>
std::pair<D, D> split_and_scale(const D& all, std::uint64_t seed = 1) {
  auto [train, validation] = tg::data::split(all, 0.2, seed);
  tg::data::StandardScaler scaler;
  scaler.fit_transform(train);
  scaler.transform(validation);
  return {train, validation};
}
}  // namespace

TEST_CASE("Fault corpus: data faults on real tables are reported with their own code", "[faults]") {
  const auto pima = tg::data::read_csv<tg::Shape<7>, tg::Binary>(data_path("pima.csv"));
  const auto iris = tg::data::read_csv<tg::Shape<4>, tg::ClassIndex<3>>(data_path("iris.csv"));
  const auto boston =
      tg::data::read_csv<tg::Shape<13>, tg::Real<tg::Shape<1>>>(data_path("boston.csv"));
  const auto biopsy = tg::data::read_csv<tg::Shape<9>, tg::Binary>(data_path("biopsy.csv"));

  judge("a missing value (NaN) in one Pima cell", {tg::guard::data_nonfinite}, [&] {
    auto [train, val] = split_and_scale(pima);
    train.input(17)[3] = NAN;
    PimaModel m;
    return fit_report(m, train, quiet_pima(5));
  });
  judge("Boston features left unscaled", {tg::guard::data_range}, [&] {
    auto [train, val] = tg::data::split(boston, 0.2, 1);
    BostonModel m;
    tg::FitOptions<BostonData> o{.epochs = 2, .batch_size = 32};
    return fit_report(m, train, o);
  });
  judge("iris classes numbered 1..3 with 3 outputs", {tg::guard::data_labels}, [&] {
    auto [train, val] = split_and_scale(iris);
    for (auto& k : train.labels()) k += 1;
    IrisModel m;
    tg::FitOptions<IrisData> o{.epochs = 2};
    return fit_report(m, train, o);
  });
  judge("iris classes numbered 1..3 with 4 outputs", {tg::guard::data_absent_class}, [&] {
    using D4 = tg::Dataset<tg::Shape<4>, tg::ClassIndex<4>>;
    const auto iris4 = tg::data::read_csv<tg::Shape<4>, tg::ClassIndex<4>>(data_path("iris.csv"));
    auto [train, val] = split_and_scale(iris4);
    for (auto& k : train.labels()) k += 1;
    for (auto& k : val.labels()) k += 1;
    using Net4 =
        tg::Sequential<tg::Input<tg::Shape<4>>, tg::Dense<16, tg::ReLU>, tg::Dense<4, tg::Softmax>>;
    tg::Model<Net4, tg::loss::SparseCategoricalCrossentropy> m;
    tg::FitOptions<D4> o{.epochs = 5, .batch_size = 16, .validation = std::cref(val)};
    return fit_report(m, train, o);
  });
  judge("a constant column (iris petal width all 0.2)", {tg::guard::data_constant}, [&] {
    auto all = iris;
    for (std::size_t i = 0; i < all.size(); ++i) all.input(i)[3] = 0.2f;
    auto [train, val] = tg::data::split(all, 0.2, 1);
    IrisModel m;
    tg::FitOptions<IrisData> o{.epochs = 2};
    return fit_report(m, train, o);
  });
  judge("Pima's diabetic rows oversampled by copying", {tg::guard::data_duplicates}, [&] {
    auto [train, val] = split_and_scale(pima);
    const std::size_t n = train.size();
    for (std::size_t i = 0; i < n; ++i)
      if (train.label(i)[0] == 1) train.push_back({train.input(i), 7}, {train.label(i), 1});
    PimaModel m;
    auto o = quiet_pima(5);
    o.validation = std::cref(val);
    return fit_report(m, train, o);
  });
  judge("biopsy with 95% of the malignant rows dropped", {tg::guard::data_imbalance}, [&] {
    using B = tg::Dataset<tg::Shape<9>, tg::Binary>;
    std::vector<std::size_t> keep;
    std::size_t malignant = 0;
    for (std::size_t i = 0; i < biopsy.size(); ++i)
      if (biopsy.label(i)[0] == 0 || malignant++ % 20 == 0) keep.push_back(i);
    auto [train, val] = split_and_scale(biopsy.subset(keep));
    using Net =
        tg::Sequential<tg::Input<tg::Shape<9>>, tg::Dense<16, tg::ReLU>, tg::Dense<1, tg::Sigmoid>>;
    tg::Model<Net, tg::loss::BinaryCrossentropy> m;
    tg::FitOptions<B> o{.epochs = 3, .batch_size = 32, .validation = std::cref(val)};
    return fit_report(m, train, o);
  });
  judge("iris validation rows taken from the training rows", {tg::guard::data_leakage}, [&] {
    auto [train, val] = split_and_scale(iris);
    std::vector<std::size_t> rows;
    for (std::size_t i = 0; i < 30; ++i) rows.push_back(i * 3);
    const auto leaked = train.subset(rows);
    IrisModel m;
    tg::FitOptions<IrisData> o{.epochs = 5, .validation = std::cref(leaked)};
    return fit_report(m, train, o);
  });
  judge("Pima augmented with noisy copies before the split", {tg::guard::data_leakage}, [&] {
    auto all = pima;
    tg::Rng rng(3);
    const std::size_t n = all.size();
    tg::data::StandardScaler s;
    s.fit(all);
    for (std::size_t i = 0; i < n; ++i) {
      float x[7];
      for (std::size_t f = 0; f < 7; ++f)
        x[f] = all.input(i)[f] + float(0.02 * s.scale()[f] * rng.normal());
      all.push_back({x, 7}, {all.label(i), 1});
    }
    auto [train, val] = split_and_scale(all);
    PimaModel m;
    auto o = quiet_pima(5);
    o.validation = std::cref(val);
    return fit_report(m, train, o);
  });
  judge("Boston scaler fitted on every row before the split", {tg::guard::data_scaler_leak}, [&] {
    auto all = boston;
    tg::data::StandardScaler s;
    s.fit_transform(all);
    auto [train, val] = tg::data::split(all, 0.2, 1);
    BostonModel m;
    tg::FitOptions<BostonData> o{.epochs = 3, .batch_size = 32, .validation = std::cref(val)};
    return fit_report(m, train, o);
  });
  judge("Pima scaler fitted on training + validation rows", {tg::guard::data_scaler_leak}, [&] {
    auto [train, val] = tg::data::split(pima, 0.2, 1);
    auto both = train;
    for (std::size_t i = 0; i < val.size(); ++i)
      both.push_back({val.input(i), 7}, {val.label(i), 1});
    tg::data::StandardScaler s;
    s.fit(both);
    s.transform(train);
    s.transform(val);
    PimaModel m;
    auto o = quiet_pima(3);
    o.validation = std::cref(val);
    return fit_report(m, train, o);
  });
  judge("Pima test set evaluated without the scaler", {tg::guard::data_shift}, [&] {
    auto [train, test] = tg::data::split(pima, 0.2, 1);
    tg::data::StandardScaler s;
    s.fit_transform(train);  // the test set is forgotten
    PimaModel m;
    return fit_then(m, train, quiet_pima(5), [&] { m.evaluate(test); });
  });
  judge("Boston predictions on data min-max scaled on its own", {tg::guard::data_shift}, [&] {
    auto [train, test] = tg::data::split(boston, 0.2, 1);
    tg::data::StandardScaler s;
    s.fit_transform(train);
    tg::data::MinMaxScaler other;
    other.fit(test);
    other.transform(test);
    BostonModel m;
    return fit_then(m, train, {.epochs = 3, .batch_size = 32}, [&] { m.predict(test.inputs()); });
  });
  judge("Boston test set scaled by a scaler fitted on itself", {tg::guard::data_scaler_leak}, [&] {
    auto [train, test] = tg::data::split(boston, 0.2, 1);
    tg::data::StandardScaler s;
    s.fit_transform(train);
    tg::data::StandardScaler own;
    own.fit_transform(test);
    BostonModel m;
    return fit_then(m, train, {.epochs = 3, .batch_size = 32}, [&] { m.evaluate(test); });
  });
  judge("a batch too big for the memory given", {tg::guard::data_memory}, [&] {
    auto [train, val] = split_and_scale(boston);
    BostonModel m;
    tg::FitOptions<BostonData> o{.epochs = 1, .batch_size = 400};
    quiet(o);
    o.guards.memory_limit_bytes = 300'000;
    return fit_report(m, train, o);
  });
}

TEST_CASE("Fault corpus: training faults on real tables are reported with their own code",
          "[faults]") {
  const auto iris = tg::data::read_csv<tg::Shape<4>, tg::ClassIndex<3>>(data_path("iris.csv"));
  const auto boston =
      tg::data::read_csv<tg::Shape<13>, tg::Real<tg::Shape<1>>>(data_path("boston.csv"));
  const auto biopsy = tg::data::read_csv<tg::Shape<9>, tg::Binary>(data_path("biopsy.csv"));

  judge("biopsy labels shuffled (no relation to the inputs)", {tg::guard::train_no_signal}, [&] {
    using B = tg::Dataset<tg::Shape<9>, tg::Binary>;
    auto [train, val] = split_and_scale(biopsy);
    tg::Rng rng(5);
    for (auto* part : {&train, &val}) {
      auto labels = part->labels();
      tg::shuffle(labels.begin(), labels.end(), rng);
    }
    using Net =
        tg::Sequential<tg::Input<tg::Shape<9>>, tg::Dense<16, tg::ReLU>, tg::Dense<1, tg::Sigmoid>>;
    tg::Model<Net, tg::loss::BinaryCrossentropy> m{tg::optim::Adam{.learning_rate = 1e-3}};
    tg::FitOptions<B> o{.epochs = 40, .batch_size = 32, .validation = std::cref(val)};
    return fit_report(m, train, o);
  });
  judge("iris with Adam at learning rate 10",
        {tg::guard::train_divergence, tg::guard::train_nonfinite}, [&] {
          auto [train, val] = split_and_scale(iris);
          IrisModel m{tg::optim::Adam{.learning_rate = 10}};
          tg::FitOptions<IrisData> o{.epochs = 20, .batch_size = 16};
          return fit_report(m, train, o);
        });
  judge("Boston with SGD at learning rate 1e-7", {tg::guard::train_lr_low}, [&] {
    auto [train, val] = split_and_scale(boston);
    BostonModel m{tg::optim::SGD{.learning_rate = 1e-7}};
    tg::FitOptions<BostonData> o{.epochs = 10, .batch_size = 16};
    return fit_report(m, train, o);
  });
  judge("Boston: 6 Tanh layers, SGD 0.01 + momentum 0.9, no normalisation",
        {tg::guard::train_exploding}, [&] {
          auto [train, val] = split_and_scale(boston);
          using Deep = tg::Sequential<tg::Input<tg::Shape<13>>, tg::Dense<64, tg::Tanh>,
                                      tg::Dense<64, tg::Tanh>, tg::Dense<64, tg::Tanh>,
                                      tg::Dense<64, tg::Tanh>, tg::Dense<64, tg::Tanh>,
                                      tg::Dense<64, tg::Tanh>, tg::Dense<1>>;
          tg::Model<Deep, tg::loss::MeanSquaredError> m{
              tg::optim::SGD{.learning_rate = 0.01, .momentum = 0.9}};
          tg::FitOptions<BostonData> o{
              .epochs = 10, .batch_size = 16, .validation = std::cref(val)};
          return fit_report(m, train, o);
        });
  judge("Boston: a wide MLP on 60 rows for 300 epochs", {tg::guard::train_overfitting}, [&] {
    auto [train, val] = split_and_scale(boston);
    const auto small = train.first(60);
    BostonModel m{tg::optim::Adam{.learning_rate = 3e-3}};
    tg::FitOptions<BostonData> o{.epochs = 300, .batch_size = 16, .validation = std::cref(val)};
    return fit_report(m, small, o);
  });
}

TEST_CASE("Fault corpus: image faults on Fashion-MNIST are reported with their own code",
          "[faults]") {
  using F = tg::Dataset<tg::Shape<28, 28, 1>, tg::ClassIndex<10>>;
  F images;
  try {
    images = tg::data::fashion_mnist().first.first(1000);
  } catch (const std::exception& e) {
    WARN("Fashion-MNIST is not installed (" << e.what() << "); cmake/install-deps.sh installs it");
    SUCCEED();
    return;
  }
  using Net = tg::Sequential<tg::Input<tg::Shape<28, 28, 1>>, tg::Flatten, tg::Dense<32, tg::ReLU>,
                             tg::Dense<10, tg::Softmax>>;
  using M = tg::Model<Net, tg::loss::SparseCategoricalCrossentropy>;
  judge("Fashion-MNIST flipped copies added before the split", {tg::guard::data_leakage}, [&] {
    auto all = images;
    for (std::size_t i = 0; i < images.size(); ++i) {
      float x[784];
      for (std::size_t y = 0; y < 28; ++y)
        for (std::size_t c = 0; c < 28; ++c) x[y * 28 + c] = images.input(i)[y * 28 + 27 - c];
      all.push_back({x, 784}, {images.label(i), 1});
    }
    auto [train, val] = tg::data::split(all, 0.2, 1);
    M m;
    tg::FitOptions<F> o{.epochs = 1, .batch_size = 64, .validation = std::cref(val)};
    return fit_report(m, train, o);
  });
  judge("Fashion-MNIST copies shifted by 2 pixels added before the split",
        {tg::guard::data_leakage}, [&] {
          auto all = images;
          for (std::size_t i = 0; i < images.size(); ++i) {
            float x[784] = {};
            for (std::size_t y = 0; y < 28; ++y)
              for (std::size_t c = 2; c < 28; ++c) x[y * 28 + c] = images.input(i)[y * 28 + c - 2];
            all.push_back({x, 784}, {images.label(i), 1});
          }
          auto [train, val] = tg::data::split(all, 0.2, 1);
          M m;
          tg::FitOptions<F> o{.epochs = 1, .batch_size = 64, .validation = std::cref(val)};
          return fit_report(m, train, o);
        });
  judge("Fashion-MNIST pixels left in [0, 255]", {tg::guard::data_range}, [&] {
    auto raw = images;
    for (auto& v : raw.inputs()) v *= 255;
    M m;
    tg::FitOptions<F> o{.epochs = 1, .batch_size = 64};
    return fit_report(m, raw, o);
  });
  judge("Fashion-MNIST test images evaluated in [0, 255]", {tg::guard::data_shift}, [&] {
    auto [train, test] = tg::data::split(images, 0.2, 1);
    for (auto& v : test.inputs()) v *= 255;
    M m;
    return fit_then(m, train, {.epochs = 1, .batch_size = 64}, [&] { m.evaluate(test); });
  });
}
