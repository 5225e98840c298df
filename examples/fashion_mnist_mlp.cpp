// A multilayer perceptron 784-128-10 on Fashion-MNIST, one epoch.
#include <cstdio>
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

using Net = tg::Sequential<tg::Input<tg::Shape<28, 28, 1>>, tg::Flatten, tg::Dense<128, tg::ReLU>,
                           tg::Dense<10, tg::Softmax>>;

int main() {
  auto [train, test] = tg::data::fashion_mnist();
  tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model{
      tg::optim::Adam{.learning_rate = 1e-3}};
  model.summary();
  model.fit(train, {.epochs = 1, .batch_size = 64, .validation = test});
  auto [loss, accuracy] = model.evaluate(test);
  std::printf("test loss %.4f, test accuracy %.2f%%\n", loss, 100 * accuracy);
  return 0;
}
