// The seed's third example: Adam with learning rate 1000. The divergence guard stops training
// within a few steps and names the rate; find_learning_rate suggests one that works.
#include <cstdio>
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

using Net = tg::Sequential<tg::Input<tg::Shape<28, 28, 1>>, tg::Flatten, tg::Dense<128, tg::ReLU>,
                           tg::Dense<10, tg::Softmax>>;

int main() {
  auto [train, test] = tg::data::fashion_mnist();
  tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model{
      tg::optim::Adam{.learning_rate = 1000}};
  try {
    model.fit(train, {.epochs = 1, .batch_size = 64, .verbose = tg::Verbosity::epochs});
  } catch (const tg::GuardStop& stop) {
    std::printf("training stopped at step %zu by %s:\n  %s\n", stop.event.step,
                stop.event.code.c_str(), stop.event.message.c_str());
  }
  tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> fresh;
  const auto search = fresh.find_learning_rate(train);
  std::printf("find_learning_rate: suggested %.3g (tried %zu rates from %.0e)\n", search.suggested,
              search.rates.size(), search.rates.front());
  fresh.optimizer().set_learning_rate(search.suggested);
  fresh.fit(train, {.epochs = 1, .batch_size = 64, .verbose = tg::Verbosity::epochs});
  std::printf("test accuracy with the suggested rate: %.2f%%\n",
              100 * fresh.evaluate(test).accuracy);
}
