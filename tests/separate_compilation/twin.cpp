// One program built twice: headers only, and with TG_SEPARATE_COMPILATION against the compiled
// part (tensorguard::compiled). It trains a float CNN (Winograd's and the direct convolution's
// paths, Dense layers, augmentation, a checkpoint), reloads it, predicts, runs a double CNN's
// step, and lets a data guard and a training guard fire. Each build prints what it computed;
// given the other build's output it compares (tests/CMakeLists.txt: separate_compilation_twins).
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <tensorguard/tensorguard.hpp>
#include <vector>

#include "../random_dataset.hpp"

namespace tg = tensorguard;

namespace {

using Cnn = tg::Sequential<tg::Input<tg::Shape<12, 12, 3>>,
                           tg::Conv2D<16, tg::Kernel<3, 3>, tg::Same, tg::ReLU>,  // direct
                           tg::Conv2D<16, tg::Kernel<3, 3>, tg::Same, tg::ReLU>,  // Winograd
                           tg::MaxPool2D<tg::Pool<2, 2>>, tg::Flatten, tg::Dense<32, tg::ReLU>,
                           tg::Dense<4, tg::Softmax>>;

std::map<std::string, double> run(const std::string& dir) {
  std::map<std::string, double> out;
  const auto train = testing::random_dataset<tg::Shape<12, 12, 3>, 4>(96, 7);
  tg::Model<Cnn, tg::loss::SparseCategoricalCrossentropy> model{tg::optim::Adam{}};
  model.reinitialize(3);
  const auto history =
      model.fit(train, {.epochs = 2,
                        .batch_size = 16,
                        .verbose = tg::Verbosity::silent,
                        .checkpoint = tg::CheckpointOptions{.path = dir + "/twin.tgc"},
                        .augment = tg::Augmentation{.flip_horizontal = true, .shift_pixels = 1}});
  out["loss_epoch_2"] = history.epochs.back().loss;
  const auto predicted = model.predict(train);
  double sum = 0, squares = 0;
  for (float v : predicted) sum += v, squares += double(v) * v;
  out["predict_sum"] = sum;
  out["predict_squares"] = squares;
  // The checkpoint back into a fresh model gives the same predictions.
  tg::Model<Cnn, tg::loss::SparseCategoricalCrossentropy> reloaded{tg::optim::Adam{}};
  reloaded.load(dir + "/twin.tgc");
  const auto again = reloaded.predict(train);
  double differ = 0;
  for (std::size_t i = 0; i < again.size(); ++i) differ += std::abs(again[i] - predicted[i]);
  out["reload_difference"] = differ;
  // Double: one epoch of a small CNN (the double kernels).
  using Small = tg::Sequential<tg::Input<tg::Shape<6, 6, 2>, double>,
                               tg::Conv2D<4, tg::Kernel<3, 3>, tg::Valid, tg::Tanh>, tg::Flatten,
                               tg::Dense<3, tg::Softmax>>;
  tg::Dataset<tg::Shape<6, 6, 2>, tg::ClassIndex<3>, double> small;
  tg::Rng rng(11);
  std::vector<double> x(72);
  for (int i = 0; i < 30; ++i) {
    for (auto& v : x) v = rng.uniform();
    const std::int32_t k = std::int32_t(rng.below(3));
    small.push_back(x, std::span<const std::int32_t>(&k, 1));
  }
  tg::Model<Small, tg::loss::SparseCategoricalCrossentropy> dmodel{
      tg::optim::SGD{.learning_rate = 0.1}};
  dmodel.reinitialize(5);
  const auto dh =
      dmodel.fit(small, {.epochs = 1, .batch_size = 10, .verbose = tg::Verbosity::silent});
  out["double_loss"] = dh.epochs.back().loss;
  // A data guard (compiled apart: the feature statistics and the shift check) and a training
  // guard (the monitor) each stop with their code.
  auto shifted = train;
  for (auto& v : shifted.inputs()) v *= 255;
  model.guard_policy().set(tg::guard::data_shift, tg::GuardLevel::stop);
  try {
    model.predict(shifted);
    out["shift_guard"] = 0;
  } catch (const tg::GuardStop& stop) {
    out["shift_guard"] = stop.event.code == std::string(tg::guard::data_shift);
  }
  tg::Model<Cnn, tg::loss::SparseCategoricalCrossentropy> diverging{
      tg::optim::SGD{.learning_rate = 1e6}};
  try {
    diverging.fit(train, {.epochs = 3, .batch_size = 16, .verbose = tg::Verbosity::silent});
    out["training_guard"] = 0;
  } catch (const tg::GuardStop& stop) {
    out["training_guard"] = stop.event.code == std::string(tg::guard::train_nonfinite) ||
                            stop.event.code == std::string(tg::guard::train_divergence);
  }
  return out;
}

}  // namespace

// twin DIR [OTHER_OUTPUT]: prints "name value" lines; with OTHER_OUTPUT, compares with it.
int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const auto mine = run(argv[1]);
  for (const auto& [name, value] : mine) std::printf("%s %.9g\n", name.c_str(), value);
  if (mine.at("reload_difference") != 0 || mine.at("shift_guard") != 1 ||
      mine.at("training_guard") != 1) {
    std::printf("FAILED: the checkpoint does not reproduce the model, or a guard did not fire\n");
    return 1;
  }
  if (argc < 3) return 0;
  std::ifstream other(argv[2]);
  std::string name;
  double value;
  std::size_t compared = 0;
  int failures = 0;
  while (other >> name >> value) {
    const auto it = mine.find(name);
    if (it == mine.end()) continue;
    ++compared;
    // Same code, same flags: only the contraction of a*b+c into FMAs may differ with inlining.
    if (std::abs(it->second - value) > 1e-5 * (1 + std::abs(value))) {
      std::printf("FAILED: %s is %.9g here and %.9g in the other build\n", name.c_str(), it->second,
                  value);
      ++failures;
    }
  }
  if (compared != mine.size()) {
    std::printf("FAILED: the other build's output has %zu of %zu values\n", compared, mine.size());
    return 1;
  }
  std::printf("%s\n", failures ? "FAILED" : "the two builds agree");
  return failures ? 1 : 0;
}
