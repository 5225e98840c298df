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
