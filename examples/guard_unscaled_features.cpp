// The seed's first example: tabular features in [0, 10] fed to a network unscaled. The range
// guard says so before training; the fix is a scaler fitted on the training data.
#include <cstdio>
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

using Net =
    tg::Sequential<tg::Input<tg::Shape<8>>, tg::Dense<16, tg::ReLU>, tg::Dense<1, tg::Sigmoid>>;
using Data = tg::Dataset<tg::Shape<8>, tg::Binary>;

// 8 features uniform in [0, 10]; the label says whether their sum exceeds 40.
Data make(std::size_t n, std::uint64_t seed) {
  tg::Rng rng(seed);
  Data d;
  for (std::size_t i = 0; i < n; ++i) {
    float x[8], sum = 0;
    for (auto& v : x) sum += (v = float(rng.uniform(0, 10)));
    const float y = sum > 40 ? 1.f : 0.f;
    d.push_back(x, std::span<const float>(&y, 1));
  }
  return d;
}

int main() {
  auto train = make(2000, 1), test = make(500, 2);
  std::puts("== unscaled features");
  tg::Model<Net, tg::loss::BinaryCrossentropy> model;
  auto history =
      model.fit(train, {.epochs = 5, .validation = test, .verbose = tg::Verbosity::epochs});
  for (const auto& e : history.guards.events) std::printf("guard fired: %s\n", e.code.c_str());

  std::puts("== after data::StandardScaler (fitted on the training data only)");
  tg::data::StandardScaler scaler;
  scaler.fit(train);
  scaler.transform(train);
  scaler.transform(test);
  tg::Model<Net, tg::loss::BinaryCrossentropy> fixed;
  auto h2 = fixed.fit(train, {.epochs = 5, .validation = test, .verbose = tg::Verbosity::epochs});
  std::printf("guards fired: %zu; test accuracy %.1f%% (unscaled: %.1f%%)\n",
              h2.guards.events.size(), 100 * fixed.evaluate(test).accuracy,
              100 * history.last().val_accuracy);
  h2.write_svg("guard_unscaled_features_history.svg");  // the scaled run's curves
  std::puts("history of the scaled run: guard_unscaled_features_history.svg");
}
