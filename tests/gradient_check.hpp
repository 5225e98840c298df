// Finite-difference gradient checks in double precision: the model's analytic gradient of the
// mean batch loss against central differences, for every parameter.
#pragma once
#include <catch2/catch.hpp>
#include <cmath>
#include <tensorguard/tensorguard.hpp>
#include <vector>

namespace tg = tensorguard;

namespace testing {

template <class Labels>
std::vector<typename Labels::template value_type<double>> random_labels(std::size_t n,
                                                                        tg::Rng& rng) {
  std::vector<typename Labels::template value_type<double>> out;
  for (std::size_t i = 0; i < n; ++i) {
    if constexpr (Labels::kind == tg::LabelKind::class_index) {
      out.push_back(std::int32_t(rng.below(Labels::classes)));
    } else if constexpr (Labels::kind == tg::LabelKind::one_hot) {
      const auto hot = rng.below(Labels::classes);
      for (std::size_t k = 0; k < Labels::classes; ++k) out.push_back(k == hot ? 1.0 : 0.0);
    } else if constexpr (Labels::kind == tg::LabelKind::binary) {
      out.push_back(double(rng.below(2)));
    } else {
      for (std::size_t k = 0; k < Labels::width; ++k) out.push_back(rng.uniform(-1, 1));
    }
  }
  return out;
}

struct GradientReport {
  double relative_error = 0;  // ||analytic - numeric|| / max(||analytic||, ||numeric||)
  double analytic_norm = 0;
  std::size_t parameters = 0;
};

// Labels default to what the loss takes, sized to the model's output.
template <class Net, class Loss, class Labels, class Backend = tg::DefaultBackend>
GradientReport check_gradients(std::size_t batch = 3, tg::Mode mode = tg::Mode::training,
                               std::uint64_t seed = 7) {
  using D = tg::Dataset<typename Net::input_shape, Labels, double>;
  tg::Model<Net, Loss, Backend> model{tg::optim::SGD{}, seed};
  tg::Rng rng(seed + 1);
  std::vector<double> x(batch * Net::input_shape::size);
  for (auto& v : x) v = rng.uniform(-1.0, 1.0);
  const auto t = random_labels<Labels>(batch, rng);

  model.template loss_and_gradient<D>(x, t, mode);
  const std::vector<double> analytic = model.get_gradients();
  auto params = model.get_weights();  // perturbed one at a time, uploaded with set_weights
  std::vector<double> numeric(params.size());
  const double eps = 1e-6;
  for (std::size_t i = 0; i < params.size(); ++i) {
    const double keep = params[i];
    params[i] = keep + eps;
    model.set_weights(params);
    const double up = model.template loss_and_gradient<D>(x, t, mode);
    params[i] = keep - eps;
    model.set_weights(params);
    const double down = model.template loss_and_gradient<D>(x, t, mode);
    params[i] = keep;
    model.set_weights(params);
    numeric[i] = (up - down) / (2 * eps) / double(batch);
  }
  double diff = 0, na = 0, nn = 0;
  for (std::size_t i = 0; i < params.size(); ++i) {
    diff += (analytic[i] - numeric[i]) * (analytic[i] - numeric[i]);
    na += analytic[i] * analytic[i];
    nn += numeric[i] * numeric[i];
  }
  GradientReport r;
  r.analytic_norm = std::sqrt(na);
  r.relative_error = std::sqrt(diff) / std::max({std::sqrt(na), std::sqrt(nn), 1e-300});
  r.parameters = params.size();
  return r;
}

}  // namespace testing

namespace testing {
// Checks one network and loss: the gradient must be non-trivial and match to 1e-6.
template <class Net, class Loss, class Labels>
void expect_gradients(std::size_t batch = 3, tg::Mode mode = tg::Mode::training) {
  const auto report = check_gradients<Net, Loss, Labels>(batch, mode);
  INFO("relative error " << report.relative_error << " over " << report.parameters
                         << " parameters, |g| = " << report.analytic_norm);
  CHECK(report.analytic_norm > 1e-8);
  CHECK(report.relative_error < 1e-6);
}
}  // namespace testing
