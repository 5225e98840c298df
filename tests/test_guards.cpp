// Each runtime guard: a healthy small problem fires nothing; injecting one fault fires that
// guard, with its code, at its default level.
#include <catch2/catch.hpp>
#include <iostream>
#include <sstream>
#include <tensorguard/tensorguard.hpp>

#include "random_dataset.hpp"

namespace tg = tensorguard;
using namespace tg;

namespace {

using Blobs = Dataset<Shape<2>, ClassIndex<3>>;
using Mlp = Sequential<Input<Shape<2>>, Dense<16, ReLU>, Dense<3, Softmax>>;
using Sparse = loss::SparseCategoricalCrossentropy;

Blobs blobs(std::size_t n, std::uint64_t seed, std::array<std::size_t, 3> share = {1, 1, 1}) {
  Rng rng(seed);
  Blobs d;
  const float cx[] = {-1.f, 1.f, 0.f}, cy[] = {-0.5f, -0.5f, 1.f};
  const std::size_t total = share[0] + share[1] + share[2];
  for (std::size_t i = 0; i < n; ++i) {
    const auto r = rng.below(total);
    const auto k = std::int32_t(r < share[0] ? 0 : r < share[0] + share[1] ? 1 : 2);
    const float x[] = {cx[k] + 0.3f * float(rng.normal()), cy[k] + 0.3f * float(rng.normal())};
    d.push_back(x, std::span<const std::int32_t>(&k, 1));
  }
  return d;
}

GuardPolicy quiet() {
  GuardPolicy p;
  p.print_warnings = false;
  return p;
}

// Fits and returns the report; a stop-level guard's exception becomes its report too.
template <class Net, class Loss, class D>
GuardReport run(Model<Net, Loss>& model, const D& train, FitOptions<D> options) {
  options.verbose = Verbosity::silent;
  options.guards.print_warnings = false;
  try {
    return model.fit(train, options).guards;
  } catch (const GuardStop& stop) {
    REQUIRE(stop.event.level == GuardLevel::stop);
    return stop.report;
  }
}

std::string codes(const GuardReport& r) {
  std::string s;
  for (const auto& e : r.events) s += e.code + " ";
  return s;
}

}  // namespace

TEST_CASE("A healthy problem with every guard on fires none", "[guards]") {
  Model<Mlp, Sparse> model{optim::Adam{.learning_rate = 0.01}};
  const auto val = blobs(200, 2);
  const auto report = run(model, blobs(600, 1), {.epochs = 6, .batch_size = 16, .validation = val});
  INFO(codes(report));
  CHECK(report.events.empty());
}

TEST_CASE("TG-DATA-NONFINITE stops on a missing value and names its row and column", "[guards]") {
  auto data = blobs(100, 3);
  data.input(42)[1] = NAN;
  Model<Mlp, Sparse> model;
  const auto report = run(model, data, {});
  REQUIRE(report.fired(guard::data_nonfinite));
  CHECK(report.find(guard::data_nonfinite)->message.find("row 42, column 1") != std::string::npos);
  CHECK(report.find(guard::data_nonfinite)->level == GuardLevel::stop);
}

TEST_CASE("TG-DATA-RANGE warns on unscaled features and names the scaler", "[guards]") {
  auto data = blobs(200, 4);
  for (auto& v : data.inputs()) v = v * 5 + 10;  // like the seed's features in [0, 10]
  Model<Mlp, Sparse> model;
  const auto report = run(model, data, {.epochs = 1});
  REQUIRE(report.fired(guard::data_range));
  CHECK(report.find(guard::data_range)->message.find("StandardScaler") != std::string::npos);
  // The same data standardised does not fire.
  data::StandardScaler scaler;
  scaler.fit_transform(data);
  Model<Mlp, Sparse> again;
  CHECK(!run(again, data, {.epochs = 1}).fired(guard::data_range));
}

TEST_CASE("TG-DATA-LABELS stops on labels the loss cannot read", "[guards]") {
  auto data = blobs(50, 5);
  data.labels()[7] = 3;
  Model<Mlp, Sparse> model;
  CHECK_THROWS_WITH(model.fit(data, {.verbose = Verbosity::silent}),
                    Catch::Contains("TG-DATA-LABELS") && Catch::Contains("row 7 has class 3"));
  // Out-of-range class indices are refused even with the guard off (they would read outside
  // the output).
  CHECK_THROWS_AS(
      model.fit(data, {.verbose = Verbosity::silent,
                       .guards = GuardPolicy{}.set(guard::data_labels, GuardLevel::off)}),
      std::invalid_argument);

  Dataset<Shape<2>, OneHot<3>> hot;
  const float x[] = {0.f, 1.f}, two[] = {1.f, 1.f, 0.f};
  for (int i = 0; i < 10; ++i) hot.push_back(x, two);
  Model<Mlp, loss::CategoricalCrossentropy> cce;
  CHECK(run(cce, hot, {}).fired(guard::data_labels));
}

TEST_CASE("TG-DATA-CONSTANT, TG-DATA-DUPLICATES and TG-DATA-IMBALANCE warn", "[guards]") {
  using Wide = Sequential<Input<Shape<3>>, Dense<8, ReLU>, Dense<3, Softmax>>;
  Dataset<Shape<3>, ClassIndex<3>> data;
  Rng rng(6);
  for (int i = 0; i < 300; ++i) {
    const auto k = std::int32_t(i % 3);
    const float x[] = {float(rng.normal()), float(rng.normal()), 1.0f};  // third is constant
    data.push_back(x, std::span<const std::int32_t>(&k, 1));
  }
  Model<Wide, Sparse> model;
  CHECK(run(model, data, {.epochs = 1}).fired(guard::data_constant));

  auto dup = blobs(100, 7);
  const auto copy = dup.first(10);
  for (std::size_t i = 0; i < copy.size(); ++i)
    dup.push_back({copy.input(i), 2}, {copy.label(i), 1});
  Model<Mlp, Sparse> m2;
  const auto r2 = run(m2, dup, {.epochs = 1});
  REQUIRE(r2.fired(guard::data_duplicates));
  CHECK(r2.find(guard::data_duplicates)->value == 20);  // 10 rows and their 10 copies

  Model<Mlp, Sparse> m3;
  const auto r3 = run(m3, blobs(400, 8, {40, 1, 1}), {.epochs = 1});
  REQUIRE(r3.fired(guard::data_imbalance));
  CHECK(r3.find(guard::data_imbalance)->message.find("class") != std::string::npos);
  Model<Mlp, Sparse> m4;
  CHECK(!run(m4, blobs(400, 8, {3, 2, 2}), {.epochs = 1}).fired(guard::data_imbalance));
}

TEST_CASE("TG-DATA-LEAKAGE stops when validation rows are training rows", "[guards]") {
  const auto train = blobs(200, 9);
  const auto leaked = train.first(20);
  Model<Mlp, Sparse> model;
  const auto report = run(model, train, {.validation = leaked});
  REQUIRE(report.fired(guard::data_leakage));
  CHECK(report.find(guard::data_leakage)->message.find("20 of 20 validation rows") !=
        std::string::npos);
}

TEST_CASE("TG-DATA-SCALER-LEAK stops a scaler fitted on the held-out data", "[guards]") {
  auto train = blobs(200, 10), val = blobs(100, 11);
  data::StandardScaler wrong;
  wrong.fit(val);  // fitted on the validation data
  wrong.transform(train);
  wrong.transform(val);
  Model<Mlp, Sparse> model;
  CHECK(run(model, train, {.validation = val}).fired(guard::data_scaler_leak));

  auto train2 = blobs(200, 10), val2 = blobs(100, 11);
  data::StandardScaler right;
  right.fit(train2);
  right.transform(train2);
  right.transform(val2);
  Model<Mlp, Sparse> ok;
  CHECK(!run(ok, train2, {.validation = val2}).fired(guard::data_scaler_leak));
}

TEST_CASE("TG-DATA-MEMORY stops before allocating and names the largest batch that fits",
          "[guards]") {
  Model<Mlp, Sparse> model;
  GuardPolicy tight;
  tight.memory_limit_bytes = Model<Mlp, Sparse>::training_state_bytes + 4096;
  const auto report = run(model, blobs(500, 12), {.batch_size = 500, .guards = tight});
  REQUIRE(report.fired(guard::data_memory));
  CHECK(report.find(guard::data_memory)->message.find("largest batch that fits is") !=
        std::string::npos);
}

TEST_CASE(
    "TG-DATA-MEMORY counts the layer buffers of one micro-batch, of the whole batch with "
    "BatchNormalization",
    "[guards]") {
  using Cnn = Sequential<Input<Shape<28, 28, 1>>, Conv2D<32, Kernel<3>, ReLU>, MaxPool2D<Pool<2>>,
                         Flatten, Dense<10, Softmax>>;
  using NormalizedCnn =
      Sequential<Input<Shape<28, 28, 1>>, Conv2D<32, Kernel<3>>, BatchNormalization,
                 Activation<ReLU>, MaxPool2D<Pool<2>>, Flatten, Dense<10, Softmax>>;
  const auto data = testing::random_dataset<Shape<28, 28, 1>, 10>(2048, 21);
  GuardPolicy limit;
  limit.memory_limit_bytes = std::size_t(64) << 20;
  // Whole, 2048 samples of layer buffers would need about 0.9 GB; micro-batches need 4 MiB.
  limit.print_warnings = false;
  Model<Cnn, Sparse, Cpu> cnn;  // micro-batches are the CPU's (a device takes batches whole)
  CHECK(!cnn.check_data(data, {.batch_size = 2048, .guards = limit}).fired(guard::data_memory));
  Model<NormalizedCnn, Sparse> normalized;
  GuardReport report;
  try {
    normalized.check_data(data, {.batch_size = 2048, .guards = limit});
  } catch (const GuardStop& stop) {
    report = stop.report;
  }
  REQUIRE(report.fired(guard::data_memory));
  CHECK(report.find(guard::data_memory)->message.find("largest batch that fits is") !=
        std::string::npos);
}

TEST_CASE("TG-TRAIN-DIVERGENCE stops Adam at learning rate 1000 within a few steps", "[guards]") {
  Model<Mlp, Sparse> model{optim::Adam{.learning_rate = 1000}};
  const auto report = run(model, blobs(600, 13), {.epochs = 3, .batch_size = 16});
  REQUIRE(report.fired(guard::train_divergence));
  const auto* e = report.find(guard::train_divergence);
  CHECK(e->step <= 5);
  CHECK(e->message.find("learning rate 1000 (Adam)") != std::string::npos);
  CHECK(e->message.find("try 0.0001 to 0.003") != std::string::npos);
}

TEST_CASE("TG-TRAIN-NONFINITE stops on a NaN loss", "[guards]") {
  Model<Mlp, Sparse> model{optim::SGD{.learning_rate = 1e30}};
  GuardPolicy no_divergence;
  no_divergence.set(guard::train_divergence, GuardLevel::off);
  const auto report =
      run(model, blobs(600, 14), {.epochs = 3, .batch_size = 16, .guards = no_divergence});
  CHECK(report.fired(guard::train_nonfinite));
}

TEST_CASE("TG-TRAIN-LR-LOW warns when updates are tiny and the loss stalls", "[guards]") {
  Model<Mlp, Sparse> model{optim::SGD{.learning_rate = 1e-7}};
  const auto report = run(model, blobs(600, 15), {.epochs = 2, .batch_size = 8});
  REQUIRE(report.fired(guard::train_lr_low));
  Model<Mlp, Sparse> healthy{optim::SGD{.learning_rate = 0.1}};
  CHECK(!run(healthy, blobs(600, 15), {.epochs = 2, .batch_size = 8}).fired(guard::train_lr_low));
}

TEST_CASE("TG-TRAIN-OSCILLATION warns on a loss that swings every epoch", "[guards]") {
  GuardPolicy policy = quiet();
  GuardReport report;
  detail::GuardSink sink(policy, report);
  detail::TrainingMonitor monitor(sink, NAN, "SGD", 0.5);
  const double losses[] = {1.0, 0.5, 0.8, 0.4, 0.7, 0.35};
  for (std::size_t e = 0; e < 6; ++e) monitor.end_epoch(e + 1, losses[e], NAN, NAN, NAN);
  CHECK(report.fired(guard::train_oscillation));
  GuardReport calm;
  detail::GuardSink sink2(policy, calm);
  detail::TrainingMonitor steady(sink2, NAN, "SGD", 0.5);
  for (std::size_t e = 0; e < 6; ++e) steady.end_epoch(e + 1, 1.0 / double(e + 1), NAN, NAN, NAN);
  CHECK(!calm.fired(guard::train_oscillation));
}

TEST_CASE("TG-TRAIN-VANISHING-GRADIENTS and TG-TRAIN-EXPLODING-GRADIENTS", "[guards]") {
  using Deep = Sequential<Input<Shape<2>>, Dense<16, Sigmoid>, Dense<16, Sigmoid>,
                          Dense<16, Sigmoid>, Dense<16, Sigmoid>, Dense<16, Sigmoid>,
                          Dense<16, Sigmoid>, Dense<16, Sigmoid>, Dense<3, Softmax>>;
  Model<Deep, Sparse> deep{optim::SGD{.learning_rate = 0.01}};
  CHECK(run(deep, blobs(300, 16), {.epochs = 1, .batch_size = 16}).fired(guard::train_vanishing));

  // Inputs a thousand times too large behind a small first layer: the first layer's gradient
  // scales with the input, the last layer's with the bounded Sigmoid outputs.
  using Shallow = Sequential<Input<Shape<2>>, Dense<16, Sigmoid>, Dense<3, Softmax>>;
  Model<Shallow, Sparse> exploding{optim::SGD{.learning_rate = 1e-6}};
  testing::edit_weights(exploding, [](auto& w) {
    for (std::size_t i = 0; i < 2 * 16; ++i) w[i] *= 1e-3f;
  });
  auto big = blobs(300, 17);
  for (auto& v : big.inputs()) v *= 1000;
  CHECK(run(exploding, big, {.epochs = 1, .batch_size = 16}).fired(guard::train_exploding));
}

TEST_CASE("TG-TRAIN-DEAD-RELU and TG-TRAIN-SATURATION warn at the end of the epoch", "[guards]") {
  Model<Mlp, Sparse> dead{optim::SGD{.learning_rate = 0.01}};
  // Biases of the ReLU layer far below zero: no unit ever fires.
  testing::edit_weights(dead, [](auto& w) {
    for (std::size_t i = 2 * 16; i < 2 * 16 + 16; ++i) w[i] = -100;
  });
  CHECK(run(dead, blobs(300, 18), {.epochs = 1, .batch_size = 16}).fired(guard::train_dead_relu));

  using Sig = Sequential<Input<Shape<2>>, Dense<16, Sigmoid>, Dense<3, Softmax>>;
  Model<Sig, Sparse> saturated{optim::SGD{.learning_rate = 0.01}};
  testing::edit_weights(saturated, [](auto& w) {
    for (std::size_t i = 0; i < 2 * 16; ++i) w[i] *= 50;
  });
  CHECK(run(saturated, blobs(300, 19), {.epochs = 1, .batch_size = 16})
            .fired(guard::train_saturation));
}

TEST_CASE("TG-TRAIN-FIRST-LOSS warns when the first loss is far from ln K", "[guards]") {
  Model<Mlp, Sparse> model;
  testing::edit_weights(model, [](auto& w) {
    for (std::size_t i = 2 * 16 + 16; i < w.size(); ++i) w[i] *= 60;
  });
  const auto report = run(model, blobs(300, 20), {.epochs = 1});
  REQUIRE(report.fired(guard::train_first_loss));
  CHECK(report.find(guard::train_first_loss)->message.find("1.099") != std::string::npos);
}

TEST_CASE("TG-TRAIN-OVERFITTING warns; early stopping restores the best weights", "[guards]") {
  using Big = Sequential<Input<Shape<2>>, Dense<128, ReLU>, Dense<128, ReLU>, Dense<3, Softmax>>;
  auto tiny = blobs(24, 21);
  Rng rng(22);
  for (auto& l : tiny.labels()) l = std::int32_t(rng.below(3));  // labels are noise
  const auto val = blobs(300, 23);
  Model<Big, Sparse> model{optim::Adam{.learning_rate = 0.01}};
  CHECK(run(model, tiny, {.epochs = 40, .batch_size = 8, .validation = val})
            .fired(guard::train_overfitting));

  Model<Big, Sparse> stopped{optim::Adam{.learning_rate = 0.01}};
  const auto history = stopped.fit(tiny, {.epochs = 40,
                                          .batch_size = 8,
                                          .validation = val,
                                          .verbose = Verbosity::silent,
                                          .guards = quiet(),
                                          .early_stopping = EarlyStopping{.patience = 3}});
  CHECK(history.epochs.size() < 40);
  double best = INFINITY;
  std::size_t best_epoch = 0;
  for (const auto& e : history.epochs)
    if (e.val_loss < best) best = e.val_loss, best_epoch = e.epoch;
  CHECK(stopped.evaluate(val).loss == Approx(best).epsilon(1e-5));
  // History says what early stopping did: the best epoch, the stop, the weights restored.
  CHECK(history.best_epoch == best_epoch);
  CHECK(history.stopped_early);
  CHECK(history.restored_epoch == best_epoch);
  CHECK(history.epochs.size() == best_epoch + 3);  // patience 3

  // And says it on the progress output.
  Model<Big, Sparse> told{optim::Adam{.learning_rate = 0.01}};
  std::ostringstream captured;
  auto* previous = std::cout.rdbuf(captured.rdbuf());
  const auto again = told.fit(tiny, {.epochs = 40,
                                     .batch_size = 8,
                                     .validation = val,
                                     .verbose = Verbosity::epochs,
                                     .guards = quiet(),
                                     .early_stopping = EarlyStopping{.patience = 3}});
  std::cout.rdbuf(previous);
  INFO(captured.str());
  CHECK_THAT(captured.str(),
             Catch::Contains("Early stopping after epoch " + std::to_string(again.epochs.size()) +
                             ": val_loss has not improved on") &&
                 Catch::Contains("Early stopping: restored the weights of epoch " +
                                 std::to_string(again.best_epoch)));

  // Without early stopping, History says nothing of it.
  Model<Big, Sparse> plain;
  const auto none = plain.fit(tiny, {.epochs = 2, .verbose = Verbosity::silent, .guards = quiet()});
  CHECK(none.best_epoch == 0);
  CHECK_FALSE(none.stopped_early);
  CHECK(none.restored_epoch == 0);
}

TEST_CASE("find_learning_rate suggests a rate and leaves the model unchanged", "[guards]") {
  Model<Mlp, Sparse> model;
  const std::vector<float> before = model.get_weights();
  const auto search = model.find_learning_rate(blobs(600, 24), {.steps = 80, .batch_size = 16});
  CHECK(search.rates.size() >= 20);
  CHECK(search.suggested > 1e-4);
  CHECK(search.suggested < 3.0);
  CHECK(before == model.get_weights());
  // The suggestion trains.
  model.optimizer().set_learning_rate(search.suggested);
  model.fit(blobs(600, 24), {.epochs = 5, .batch_size = 16, .verbose = Verbosity::silent});
  CHECK(model.evaluate(blobs(300, 25)).accuracy > 0.9);
}

TEST_CASE("Guard levels are per guard: off silences, stop throws GuardStop", "[guards]") {
  auto data = blobs(200, 26);
  for (auto& v : data.inputs()) v *= 100;
  Model<Mlp, Sparse> a;
  auto p = quiet();
  p.set(guard::data_range, GuardLevel::off).set(guard::train_first_loss, GuardLevel::off);
  CHECK(!run(a, data, {.epochs = 1, .guards = p}).fired(guard::data_range));
  Model<Mlp, Sparse> b;
  p.set(guard::data_range, GuardLevel::stop);
  CHECK_THROWS_AS(b.fit(data, {.verbose = Verbosity::silent, .guards = p}), GuardStop);
}

// --- Rules that must not fire on healthy runs (issue 12), each next to the fault it keeps ------

namespace {
struct MonitorRig {
  GuardPolicy policy = quiet();
  GuardReport report;
  detail::GuardSink sink{policy, report};
  detail::TrainingMonitor monitor;
  explicit MonitorRig(double expected_first = NAN, const char* optimizer = "Adam", double lr = 1e-3)
      : monitor(sink, expected_first, optimizer, lr) {}
};
}  // namespace

TEST_CASE("A warning that fires epoch after epoch is one event with its streak", "[guards]") {
  GuardPolicy policy = quiet();
  GuardReport report;
  detail::GuardSink sink(policy, report);
  for (std::size_t epoch : {3, 4, 5, 6, 9, 10})
    sink.fire(guard::train_overfitting, epoch, 0, double(epoch), "m");
  REQUIRE(report.events.size() == 2);  // epochs 3-6, then 9-10
  CHECK(report.events[0].epoch == 3);
  CHECK(report.events[0].last_epoch == 6);
  CHECK(report.events[0].epochs == 4);
  CHECK(report.events[1].epoch == 9);
  CHECK(report.events[1].epochs == 2);
}

TEST_CASE("GuardStop carries the epochs trained before the stop", "[guards]") {
  Model<Mlp, Sparse> model;
  auto data = blobs(300, 41);
  FitOptions<Blobs> options{.epochs = 5, .verbose = Verbosity::silent, .guards = quiet()};
  // From epoch 3 on the rate is absurd: divergence stops training in epoch 3.
  options.callbacks.push_back({.on_epoch_end = [](const EpochLogs& logs, TrainingControl& c) {
    if (logs.epoch == 2) c.learning_rate = 1e4;
  }});
  try {
    model.fit(data, options);
    FAIL("no stop");
  } catch (const GuardStop& stop) {
    CHECK(stop.event.epoch == 3);
    REQUIRE(stop.epochs.size() == 2);
    CHECK(stop.epochs[1].epoch == 2);
  }
}

TEST_CASE("TG-TRAIN-OVERFITTING needs a rise beyond noise, not a gap while val_loss improves",
          "[guards]") {
  // Validation loss sets a new best every epoch while training accuracy runs 15 points ahead.
  MonitorRig improving;
  for (std::size_t e = 1; e <= 20; ++e)
    improving.monitor.end_epoch(e, 1.0 / double(e), 1.2 / double(e), 0.95, 0.80);
  CHECK_FALSE(improving.report.fired(guard::train_overfitting));
  // A small validation set: val_loss wanders +-0.05 around 0.5 with no trend.
  MonitorRig noisy;
  const double wander[] = {0.55, 0.50, 0.46, 0.51, 0.47, 0.52, 0.48, 0.50, 0.47, 0.51, 0.49, 0.50};
  for (std::size_t e = 0; e < 12; ++e)
    noisy.monitor.end_epoch(e + 1, 0.6 - 0.02 * double(e), wander[e], NAN, NAN);
  CHECK_FALSE(noisy.report.fired(guard::train_overfitting));
  // A real rise: 0.40 at epoch 5, then up 0.03 an epoch while the training loss falls.
  MonitorRig overfit;
  for (std::size_t e = 1; e <= 15; ++e) {
    const double val = e <= 5 ? 0.6 - 0.04 * double(e) : 0.40 + 0.03 * double(e - 5);
    overfit.monitor.end_epoch(e, 0.6 - 0.03 * double(e), val, NAN, NAN);
  }
  REQUIRE(overfit.report.fired(guard::train_overfitting));
  const auto& event = *overfit.report.find(guard::train_overfitting);
  CHECK(event.epochs == 15 - event.epoch + 1);  // one event for the whole streak
}

TEST_CASE("TG-TRAIN-SATURATION ignores a Sigmoid output fused with its cross-entropy", "[guards]") {
  // Confident outputs of a binary classifier: p - t does not vanish, nothing to report.
  using Binary = Sequential<Input<Shape<2>>, Dense<16, ReLU>, Dense<1, Sigmoid>>;
  Dataset<Shape<2>, tg::Binary> data;
  Rng rng(43);
  for (int i = 0; i < 300; ++i) {
    const float y = float(i % 2);
    const float x[] = {float(rng.normal()) + 4 * y, float(rng.normal()) - 4 * y};
    data.push_back(x, std::span<const float>(&y, 1));
  }
  Model<Binary, loss::BinaryCrossentropy> model{optim::Adam{.learning_rate = 0.05}};
  const auto report = run(model, data, {.epochs = 5, .batch_size = 16});
  CHECK_FALSE(report.fired(guard::train_saturation));
}

TEST_CASE("TG-TRAIN-FIRST-LOSS allows the spread of a fresh model's first loss", "[guards]") {
  MonitorRig marginal(std::log(2.0));
  marginal.monitor.loss(1, 1, 1.392);  // seen on standardised binary data
  CHECK_FALSE(marginal.report.fired(guard::train_first_loss));
  MonitorRig unscaled(std::log(2.0));
  unscaled.monitor.loss(1, 1, 25.0);
  CHECK(unscaled.report.fired(guard::train_first_loss));
}

TEST_CASE("TG-TRAIN-DIVERGENCE lets minibatch noise at a low loss pass", "[guards]") {
  // From 15 down to 1, then six noisy steps up to 2.6: twice the low, still far below the start.
  MonitorRig noise;
  std::size_t step = 0;
  for (double l = 15; l > 1; l *= 0.8) noise.monitor.loss(1, ++step, l);
  for (double l : {1.0, 1.2, 1.5, 1.9, 2.3, 2.6}) noise.monitor.loss(1, ++step, l);
  CHECK_FALSE(noise.report.fired(guard::train_divergence));
  // Climbing past where it started is divergence.
  MonitorRig diverging;
  step = 0;
  for (double l : {2.3, 2.0, 1.8, 2.2, 2.9, 3.8, 5.0, 6.5, 8.5, 11.0, 14.0, 18.0}) {
    try {
      diverging.monitor.loss(1, ++step, l);
    } catch (const GuardStop&) {
    }
  }
  CHECK(diverging.report.fired(guard::train_divergence));
}

TEST_CASE("TG-TRAIN-LR-LOW does not blame the rate for a rising loss", "[guards]") {
  MonitorRig rising(NAN, "SGD", 1e-3);
  for (int i = 0; i < 5; ++i) rising.monitor.update_ratio(1e-6);
  for (int i = 0; i < 50; ++i) rising.monitor.loss(1, std::size_t(i + 1), 1.0 + 0.19 * i / 49.0);
  CHECK_FALSE(rising.report.fired(guard::train_lr_low));
  MonitorRig flat(NAN, "SGD", 1e-7);
  for (int i = 0; i < 5; ++i) flat.monitor.update_ratio(1e-6);
  for (int i = 0; i < 50; ++i) flat.monitor.loss(1, std::size_t(i + 1), 1.0 - 0.001 * (i % 3));
  CHECK(flat.report.fired(guard::train_lr_low));
}

TEST_CASE("TG-TRAIN-DEAD-RELU fires in the epoch the units die", "[guards]") {
  MonitorRig rig;
  std::vector<double> alive(10, 1.0), none(10, 0.0);
  // Active in the first 3 sampled steps, dead in the 9 after a spike.
  for (int i = 0; i < 12; ++i)
    rig.monitor.activations(1, "layer 2 (Dense<10, ReLU>)", detail::WatchedActivation::relu,
                            i < 3 ? alive.data() : none.data(), 160, 10);
  rig.monitor.end_epoch(1, 1.0, NAN, NAN, NAN);
  CHECK(rig.report.fired(guard::train_dead_relu));
}

TEST_CASE("TG-DATA-CONSTANT leaves an image's constant border alone", "[guards]") {
  using Images = Dataset<Shape<8, 8, 1>, ClassIndex<2>>;
  using Net = Sequential<Input<Shape<8, 8, 1>>, Flatten, Dense<2, Softmax>>;
  Images images;
  Rng rng(44);
  std::vector<float> pixels(64);
  for (int i = 0; i < 200; ++i) {
    for (std::size_t r = 0; r < 8; ++r)
      for (std::size_t c = 0; c < 8; ++c)
        pixels[r * 8 + c] = (r == 0 || c == 0 || r == 7 || c == 7) ? 0.0f : float(rng.uniform());
    const auto k = std::int32_t(i % 2);
    images.push_back(pixels, std::span<const std::int32_t>(&k, 1));
  }
  Model<Net, Sparse> model;
  CHECK_FALSE(run(model, images, {.epochs = 1}).fired(guard::data_constant));
}

TEST_CASE("TG-DATA-DUPLICATES leaves repeats of common values alone", "[guards]") {
  // Four scores from 1 to 3: 81 possible rows, so 300 rows repeat each other by chance.
  using Scores = Dataset<Shape<4>, ClassIndex<3>>;
  using Net = Sequential<Input<Shape<4>>, Dense<8, ReLU>, Dense<3, Softmax>>;
  Scores data;
  Rng rng(21);
  for (int i = 0; i < 300; ++i) {
    float x[4];
    for (auto& v : x) v = float(rng.below(3)) - 1.0f;
    const auto k = std::int32_t(i % 3);
    data.push_back(x, std::span<const std::int32_t>(&k, 1));
  }
  auto [train, val] = data::split(data, 0.2, 1);
  Model<Net, Sparse> model;
  const auto report = run(model, train, {.epochs = 1, .validation = std::cref(val)});
  CHECK(!report.fired(guard::data_duplicates));
  CHECK(!report.fired(guard::data_leakage));
}

TEST_CASE("TG-DATA-LEAKAGE judges shared rows against chance: silent, warn, stop", "[guards]") {
  const auto train = blobs(300, 22);
  auto held_out = [&](std::size_t copies) {
    auto val = blobs(100 - copies, 23);
    for (std::size_t i = 0; i < copies; ++i)
      val.push_back({train.input(i * 7), 2}, {train.label(i * 7), 1});
    return val;
  };
  auto level = [&](std::size_t copies) {
    Model<Mlp, Sparse> model;
    const auto val = held_out(copies);
    const auto report = run(model, train, {.epochs = 1, .validation = std::cref(val)});
    const auto* e = report.find(guard::data_leakage);
    return e ? e->level : GuardLevel::off;
  };
  CHECK(level(1) == GuardLevel::off);   // one row: within chance
  CHECK(level(3) == GuardLevel::off);   // few enough for chance: the training rate is uncertain
  CHECK(level(7) == GuardLevel::warn);  // above chance, not clearly
  CHECK(level(20) == GuardLevel::stop);
}

TEST_CASE("evaluate and predict compare their data with the data fit saw", "[guards]") {
  auto train = blobs(300, 24), test = blobs(100, 25);
  Model<Mlp, Sparse> model;
  run(model, train, {.epochs = 2});
  model.evaluate(test);
  CHECK(model.last_guard_report().events.empty());
  model.evaluate(train);  // the training data itself, evaluated on purpose
  CHECK(model.last_guard_report().events.empty());

  // Scaled training data that a scaler saw at fit, predicted on purpose: no SCALER-LEAK.
  auto scaled = blobs(300, 30);
  data::StandardScaler scaler;
  scaler.fit_transform(scaled);
  Model<Mlp, Sparse> fitted;
  run(fitted, scaled, {.epochs = 1});
  fitted.predict(scaled);
  CHECK(fitted.last_guard_report().events.empty());
  fitted.evaluate(scaled);
  CHECK(fitted.last_guard_report().events.empty());

  auto unscaled = test;
  for (auto& v : unscaled.inputs()) v = 40 + 15 * v;
  model.guard_policy().print_warnings = false;
  model.evaluate(unscaled);
  REQUIRE(model.last_guard_report().fired(guard::data_shift));
  CHECK(model.last_guard_report().events[0].message.find("scaler.transform") != std::string::npos);

  const float far[] = {55.0f, 31.0f}, near[] = {0.5f, -0.4f};
  model.predict(std::span<const float>(far, 2));
  CHECK(model.last_guard_report().fired(guard::data_shift));
  model.predict(std::span<const float>(near, 2));
  CHECK(model.last_guard_report().events.empty());

  model.guard_policy() = GuardPolicy::all(GuardLevel::off);
  model.evaluate(unscaled);
  CHECK(model.last_guard_report().events.empty());
}

TEST_CASE("TG-DATA-ABSENT-CLASS warns when a class never occurs in training", "[guards]") {
  using D4 = Dataset<Shape<2>, ClassIndex<4>>;
  using Net = Sequential<Input<Shape<2>>, Dense<8, ReLU>, Dense<4, Softmax>>;
  const auto three = blobs(300, 26);
  D4 data;
  for (std::size_t i = 0; i < three.size(); ++i) {
    const std::int32_t k = three.label(i)[0] + 1;  // classes numbered from 1
    data.push_back({three.input(i), 2}, std::span<const std::int32_t>(&k, 1));
  }
  Model<Net, Sparse> model;
  const auto report = run(model, data, {.epochs = 1});
  REQUIRE(report.fired(guard::data_absent_class));
  CHECK(report.find(guard::data_absent_class)->message.find("class 0 of") != std::string::npos);
}

TEST_CASE("TG-TRAIN-NO-SIGNAL warns when the loss stays at the label distribution's", "[guards]") {
  auto shuffled = blobs(400, 27);
  Rng rng(28);
  auto labels = shuffled.labels();
  shuffle(labels.begin(), labels.end(), rng);
  Model<Mlp, Sparse> model;
  CHECK(run(model, shuffled, {.epochs = 30, .batch_size = 16}).fired(guard::train_no_signal));
  Model<Mlp, Sparse> healthy;
  CHECK(!run(healthy, blobs(400, 27), {.epochs = 30, .batch_size = 16})
             .fired(guard::train_no_signal));
}

TEST_CASE("TG-TRAIN-DIVERGENCE after a rise of the learning rate blames the rise", "[guards]") {
  Model<Mlp, Sparse> model;
  FitOptions<Blobs> options{.epochs = 6, .batch_size = 16};
  options.callbacks.push_back({.on_epoch_end = [](const EpochLogs& logs, TrainingControl& c) {
    if (logs.epoch == 2) c.learning_rate = 50;
  }});
  const auto report = run(model, blobs(400, 29), options);
  REQUIRE(report.fired(guard::train_divergence));
  const auto& message = report.find(guard::train_divergence)->message;
  INFO(message);
  CHECK(message.find("changed from 0.001 to 50") != std::string::npos);
  CHECK(message.find("in epoch 2") != std::string::npos);
}

TEST_CASE("MultiHot and Probability targets: TG-DATA-LABELS names the value and the output",
          "[guards][labels]") {
  using Multi = Sequential<Input<Shape<2>>, Dense<8, ReLU>, Dense<3, Sigmoid>>;
  Dataset<Shape<2>, MultiHot<3>> tags;
  Dataset<Shape<2>, Probability<Shape<3>>> soft;
  Rng rng(5);
  for (int i = 0; i < 60; ++i) {
    const float x[] = {float(rng.normal()), float(rng.normal())};
    const float y[] = {x[0] > 0 ? 1.f : 0.f, x[1] > 0 ? 1.f : 0.f, x[0] + x[1] > 0 ? 1.f : 0.f};
    tags.push_back(x, y);
    soft.push_back(x, y);
  }
  Model<Multi, loss::BinaryCrossentropy> model;
  CHECK(!run(model, tags, {.epochs = 1}).fired(guard::data_labels));
  CHECK(!run(model, soft, {.epochs = 1}).fired(guard::data_labels));

  tags.labels()[3 * 7 + 2] = 2;  // row 7, output 2
  const auto multi = run(model, tags, {.epochs = 1});
  REQUIRE(multi.fired(guard::data_labels));
  CHECK_THAT(multi.events.back().message,
             Catch::Contains("row 7 has MultiHot<3> label 2 at output 2, not 0 or 1"));

  soft.labels()[3 * 4 + 1] = 1.5f;  // row 4, output 1: an unscaled target
  const auto probability = run(model, soft, {.epochs = 1});
  REQUIRE(probability.fired(guard::data_labels));
  CHECK_THAT(probability.events.back().message,
             Catch::Contains("row 4 has target 1.5 at output 1, outside [0, 1] of "
                             "Probability<Shape<3>>"));
}

TEST_CASE("Multi-label accuracy is the fraction of outputs on the target's side of 0.5",
          "[labels]") {
  const float y[] = {0.9f, 0.2f, 0.7f, 0.4f}, tags[] = {1.f, 0.f, 0.f, 1.f};
  CHECK(MultiHot<4>::correct(y, tags, 4, 0.5f) == Approx(0.5));
  const float targets[] = {0.8f, 0.1f, 0.9f, 0.3f};
  CHECK(Probability<Shape<4>>::correct(y, targets, 4, 0.5f) == Approx(1.0));

  // evaluate() averages it over samples: recomputed here from predict().
  using Multi = Sequential<Input<Shape<2>>, Dense<8, Tanh>, Dense<2, Sigmoid>>;
  Dataset<Shape<2>, MultiHot<2>> data;
  Rng rng(11);
  for (int i = 0; i < 200; ++i) {
    const float x[] = {float(rng.normal()), float(rng.normal())};
    const float t[] = {x[0] > 0 ? 1.f : 0.f, x[0] * x[1] > 0 ? 1.f : 0.f};
    data.push_back(x, t);
  }
  Model<Multi, loss::BinaryCrossentropy> model;
  model.guard_policy() = GuardPolicy::all(GuardLevel::off);
  const auto scores = model.predict(data.inputs());
  std::size_t agree = 0;
  for (std::size_t i = 0; i < scores.size(); ++i)
    agree += (scores[i] > 0.5f) == (data.labels()[i] > 0.5f);
  CHECK(model.evaluate(data).accuracy == Approx(double(agree) / double(scores.size())));
}
