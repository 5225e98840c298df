// Raw 0-255 pixels: the range guard names the scale and the fix; MinMaxScaler, fitted on the
// training images, maps them to [0, 1] and the guard is quiet.
#include <cstdio>
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

using Net = tg::Sequential<tg::Input<tg::Shape<28, 28, 1>>, tg::Flatten, tg::Dense<128, tg::ReLU>,
                           tg::Dense<10, tg::Softmax>>;

int main() {
  auto [train, test] = tg::data::fashion_mnist({.pixel_scale = 1.0});  // raw 0..255
  std::puts("== raw pixels");
  tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> raw;
  auto h = raw.fit(
      train, {.epochs = 1, .batch_size = 64, .validation = test, .verbose = tg::Verbosity::epochs});
  std::printf("guards fired: %zu\n", h.guards.events.size());

  std::puts("== after data::MinMaxScaler fitted on the training images");
  tg::data::MinMaxScaler scaler;
  scaler.fit(train);
  scaler.transform(train);
  scaler.transform(test);
  tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> scaled;
  auto h2 = scaled.fit(
      train, {.epochs = 1, .batch_size = 64, .validation = test, .verbose = tg::Verbosity::epochs});
  std::printf("guards fired: %zu; test accuracy %.2f%% (raw: %.2f%%)\n", h2.guards.events.size(),
              100 * h2.last().val_accuracy, 100 * h.last().val_accuracy);
  h2.write_svg("fashion_mnist_raw_pixels_history.svg");  // the scaled run's curves
  std::puts("history of the scaled run: fashion_mnist_raw_pixels_history.svg");
}
