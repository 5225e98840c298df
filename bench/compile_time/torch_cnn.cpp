// The Fashion-MNIST CNN example (examples/fashion_mnist_cnn.cpp) in libtorch's C++ API: the
// program whose build time and memory docs/performance.md compares with tensorguard's.
// It reads the uncompressed IDX files from the folder given as its argument:
//   mkdir -p /tmp/fmnist && for f in /usr/share/datasets/fashion-mnist/*.gz; do
//     gunzip -c $f > /tmp/fmnist/$(basename $f .gz); done
//   ./torch_cnn /tmp/fmnist
#include <torch/torch.h>

#include <cstdio>

#include "../torch_models.hpp"

using Net = bench::TorchCnn;

int main(int argc, char** argv) {
  const std::string folder = argc > 1 ? argv[1] : "/tmp/fmnist";
  auto train = torch::data::datasets::MNIST(folder, torch::data::datasets::MNIST::Mode::kTrain)
                   .map(torch::data::transforms::Stack<>());
  auto test = torch::data::datasets::MNIST(folder, torch::data::datasets::MNIST::Mode::kTest);
  auto loader = torch::data::make_data_loader<torch::data::samplers::RandomSampler>(
      std::move(train), torch::data::DataLoaderOptions().batch_size(64));
  auto net = std::make_shared<Net>();
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(1e-3));
  double loss_sum = 0;
  std::int64_t steps = 0;
  for (auto& batch : *loader) {
    opt.zero_grad();
    auto loss = torch::nn::functional::cross_entropy(net->forward(batch.data), batch.target);
    loss.backward();
    opt.step();
    loss_sum += loss.item<double>();
    ++steps;
  }
  torch::NoGradGuard no_grad;
  const auto pred = net->forward(test.images()).argmax(1);
  const double accuracy =
      pred.eq(test.targets()).sum().item<double>() / double(test.images().size(0));
  std::printf("train loss %.4f, test accuracy %.2f%%\n", loss_sum / double(steps), 100 * accuracy);
}
