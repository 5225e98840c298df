// Each optimizer's update against values computed by hand, for two steps.
#include <catch2/catch.hpp>
#include <cmath>
#include <tensorguard/tensorguard.hpp>

namespace tg = tensorguard;

namespace {
// Two steps of `settings` on p = {1.0, -2.0} with gradients g1 then g2; returns p.
std::vector<double> two_steps(tg::optim::Settings settings) {
  tg::optim::Optimizer<double> opt(settings);
  opt.reserve(2);
  tg::Cpu cpu;
  std::vector<double> p{1.0, -2.0};
  const double g1[] = {0.5, -1.0}, g2[] = {0.25, 2.0};
  opt.step(cpu, p.data(), g1, 2);
  opt.step(cpu, p.data(), g2, 2);
  return p;
}
}  // namespace

TEST_CASE("SGD: p -= lr g", "[optim]") {
  const auto p = two_steps(tg::optim::SGD{.learning_rate = 0.1});
  CHECK(p[0] == Approx(1.0 - 0.1 * 0.5 - 0.1 * 0.25));
  CHECK(p[1] == Approx(-2.0 + 0.1 * 1.0 - 0.1 * 2.0));
}

TEST_CASE("SGD with momentum and with Nesterov momentum", "[optim]") {
  // v1 = -lr g1; p1 = p0 + v1; v2 = m v1 - lr g2; p2 = p1 + v2
  const auto p = two_steps(tg::optim::SGD{.learning_rate = 0.1, .momentum = 0.9});
  const double v1 = -0.05, v2 = 0.9 * v1 - 0.025;
  CHECK(p[0] == Approx(1.0 + v1 + v2));
  // Nesterov: p += m v - lr g
  const auto n = two_steps(tg::optim::SGD{.learning_rate = 0.1, .momentum = 0.9, .nesterov = true});
  CHECK(n[0] == Approx(1.0 + (0.9 * v1 - 0.05) + (0.9 * v2 - 0.025)));
}

TEST_CASE("Adam with bias correction", "[optim]") {
  const double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-7;
  const auto p = two_steps(tg::optim::Adam{.learning_rate = lr});
  // Parameter 0: g = 0.5 then 0.25.
  double m = (1 - b1) * 0.5, v = (1 - b2) * 0.25;
  double x = 1.0 - lr * (m / (1 - b1)) / (std::sqrt(v / (1 - b2)) + eps);
  m = b1 * m + (1 - b1) * 0.25;
  v = b2 * v + (1 - b2) * 0.0625;
  x -= lr * (m / (1 - b1 * b1)) / (std::sqrt(v / (1 - b2 * b2)) + eps);
  CHECK(p[0] == Approx(x).epsilon(1e-12));
  // The first Adam step moves every parameter by about lr, whatever its gradient's scale.
  CHECK(std::abs(two_steps(tg::optim::Adam{.learning_rate = lr})[1] - (-2.0)) < 2.5 * lr);
}

TEST_CASE("AdamW decays weights by lr * weight_decay before the Adam step", "[optim]") {
  const double lr = 0.01, wd = 0.1, b1 = 0.9, b2 = 0.999, eps = 1e-7;
  const auto p = two_steps(tg::optim::AdamW{.learning_rate = lr, .weight_decay = wd});
  double m = (1 - b1) * 0.5, v = (1 - b2) * 0.25;
  double x = 1.0 * (1 - lr * wd) - lr * (m / (1 - b1)) / (std::sqrt(v / (1 - b2)) + eps);
  m = b1 * m + (1 - b1) * 0.25;
  v = b2 * v + (1 - b2) * 0.0625;
  x = x * (1 - lr * wd) - lr * (m / (1 - b1 * b1)) / (std::sqrt(v / (1 - b2 * b2)) + eps);
  CHECK(p[0] == Approx(x).epsilon(1e-12));
  CHECK(p[0] != Approx(two_steps(tg::optim::Adam{.learning_rate = lr})[0]).epsilon(1e-6));
}

TEST_CASE("RMSProp with and without momentum", "[optim]") {
  const double lr = 0.01, rho = 0.9, eps = 1e-7;
  const auto p = two_steps(tg::optim::RMSProp{.learning_rate = lr});
  double v = (1 - rho) * 0.25;
  double x = 1.0 - lr * 0.5 / (std::sqrt(v) + eps);
  v = rho * v + (1 - rho) * 0.0625;
  x -= lr * 0.25 / (std::sqrt(v) + eps);
  CHECK(p[0] == Approx(x).epsilon(1e-12));

  const auto pm = two_steps(tg::optim::RMSProp{.learning_rate = lr, .momentum = 0.5});
  v = (1 - rho) * 0.25;
  double mom = lr * 0.5 / (std::sqrt(v) + eps);
  x = 1.0 - mom;
  v = rho * v + (1 - rho) * 0.0625;
  mom = 0.5 * mom + lr * 0.25 / (std::sqrt(v) + eps);
  x -= mom;
  CHECK(pm[0] == Approx(x).epsilon(1e-12));
}

namespace {
using ScheduleNet =
    tg::Sequential<tg::Input<tg::Shape<4>>, tg::Dense<8, tg::ReLU>, tg::Dense<3, tg::Softmax>>;
using ScheduleData = tg::Dataset<tg::Shape<4>, tg::ClassIndex<3>>;
ScheduleData schedule_data(std::size_t n) {
  ScheduleData d;
  tg::Rng rng(3);
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<float> x(4);
    for (auto& v : x) v = float(rng.uniform(-1, 1));
    const auto k = std::int32_t(x[0] > 0) + std::int32_t(x[1] > 0);
    d.push_back(x, std::span<const std::int32_t>(&k, 1));
  }
  return d;
}
// The rate each step ran with, read from the optimizer before the schedule sets the next one.
struct RateRecorder {
  std::vector<double> rates;
  template <class M>
  tg::Callback of(M& model) {
    return {.on_batch_end = [this, &model](std::size_t, double, tg::TrainingControl&) {
      rates.push_back(model.optimizer().learning_rate());
    }};
  }
};
}  // namespace

TEST_CASE("StepDecay sets each epoch's rate from the epoch number", "[optim][schedule]") {
  tg::Model<ScheduleNet, tg::loss::SparseCategoricalCrossentropy> model;
  const auto history =
      model.fit(schedule_data(64),
                {.epochs = 5,
                 .batch_size = 16,
                 .verbose = tg::Verbosity::silent,
                 .callbacks = {tg::StepDecay{.initial = 0.01, .factor = 0.5, .every_epochs = 2}}});
  const double expected[] = {0.01, 0.01, 0.005, 0.005, 0.0025};
  for (std::size_t e = 0; e < 5; ++e)
    CHECK(history.epochs[e].learning_rate == Approx(expected[e]).epsilon(1e-6));
}

TEST_CASE("ExponentialDecay and CosineDecay set every step's rate", "[optim][schedule]") {
  const auto data = schedule_data(64);  // 4 steps an epoch
  {
    tg::Model<ScheduleNet, tg::loss::SparseCategoricalCrossentropy> model;
    RateRecorder seen;
    const tg::ExponentialDecay decay{.initial = 0.01, .rate = 0.5, .steps = 4};
    model.fit(data, {.epochs = 3,
                     .batch_size = 16,
                     .verbose = tg::Verbosity::silent,
                     .callbacks = {seen.of(model), decay}});
    REQUIRE(seen.rates.size() == 12);
    for (std::size_t k = 0; k < 12; ++k)
      CHECK(seen.rates[k] == Approx(0.01 * std::pow(0.5, double(k) / 4)).epsilon(1e-6));
    tg::ExponentialDecay stairs = decay;
    stairs.staircase = true;
    CHECK(stairs.at_step(7) == Approx(0.005));
  }
  {
    tg::Model<ScheduleNet, tg::loss::SparseCategoricalCrossentropy> model;
    RateRecorder seen;
    const tg::CosineDecay cosine{
        .initial = 0.01, .total_steps = 12, .warmup_steps = 4, .final_fraction = 0.1};
    model.fit(data, {.epochs = 4,
                     .batch_size = 16,
                     .verbose = tg::Verbosity::silent,
                     .callbacks = {seen.of(model), cosine}});
    REQUIRE(seen.rates.size() == 16);
    CHECK(seen.rates[0] == Approx(0.0025).epsilon(1e-6));  // warm-up: 1/4, 2/4, 3/4, 4/4
    CHECK(seen.rates[3] == Approx(0.01).epsilon(1e-6));
    CHECK(seen.rates[4] == Approx(0.01).epsilon(1e-6));  // the cosine starts at the top
    CHECK(seen.rates[8] == Approx(0.001 + 0.009 * 0.5).epsilon(1e-6));  // half way down
    CHECK(seen.rates[12] == Approx(0.001).epsilon(1e-6));               // the floor, and after
    CHECK(seen.rates[15] == Approx(0.001).epsilon(1e-6));
    for (std::size_t k = 4; k + 1 < 13; ++k) CHECK(seen.rates[k + 1] < seen.rates[k]);
  }
  CHECK_THROWS_WITH(tg::Callback(tg::CosineDecay{.initial = 0.01, .total_steps = 0}),
                    Catch::Contains("CosineDecay: ") &&
                        Catch::Contains("total_steps = epochs x steps per epoch"));
}

TEST_CASE("ReduceOnPlateau lowers the rate after `patience` epochs without improvement",
          "[optim][schedule]") {
  // A rate too small to move the loss: every epoch is a plateau.
  tg::Model<ScheduleNet, tg::loss::SparseCategoricalCrossentropy> model{
      tg::optim::SGD{.learning_rate = 1e-9}};
  const auto data = schedule_data(64);
  const auto history =
      model.fit(data, {.epochs = 7,
                       .batch_size = 16,
                       .validation = data,
                       .verbose = tg::Verbosity::silent,
                       .callbacks = {tg::ReduceOnPlateau{
                           .factor = 0.1, .patience = 2, .cooldown = 1, .quiet = true}},
                       .guards = tg::GuardPolicy::all(tg::GuardLevel::off)});
  // Epoch 1 sets the best; 2 and 3 wait; the rate drops for epoch 4, which cools down (it does
  // not count); 5 and 6 wait; the rate drops again for epoch 7.
  const double expected[] = {1e-9, 1e-9, 1e-9, 1e-10, 1e-10, 1e-10, 1e-11};
  for (std::size_t e = 0; e < 7; ++e)
    CHECK(history.epochs[e].learning_rate == Approx(expected[e]).epsilon(1e-4));
}
