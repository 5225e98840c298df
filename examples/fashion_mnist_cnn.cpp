// The main job: a small CNN trained on Fashion-MNIST for one epoch, with the progress display.
#include <cstdio>
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

using Net =
    tg::Sequential<tg::Input<tg::Shape<28, 28, 1>>, tg::Conv2D<32, tg::Kernel<3, 3>, tg::ReLU>,
                   tg::MaxPool2D<tg::Pool<2, 2>>, tg::Flatten, tg::Dense<10, tg::Softmax>>;

int main() {
  auto [train, test] = tg::data::fashion_mnist();  // pixels in [0, 1]
  tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model{
      tg::optim::Adam{.learning_rate = 1e-3f}};
  model.summary();
  auto history = model.fit(train, {.epochs = 1, .batch_size = 64, .validation = test});
  auto [loss, accuracy] = model.evaluate(test);
  std::printf("test loss %.4f, test accuracy %.2f%%\n", loss, 100 * accuracy);
  history.write_csv("fashion_mnist_cnn_history.csv");
  history.write_svg("fashion_mnist_cnn_history.svg");  // the curves as a picture
  std::puts("history: fashion_mnist_cnn_history.csv, fashion_mnist_cnn_history.svg");
  return 0;
}
