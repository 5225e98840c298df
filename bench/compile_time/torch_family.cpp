// The libtorch twin of tg_family.cpp: the same network (bench/family_torch.hpp), Adam, one
// epoch at batch 64 and the test accuracy, reading the uncompressed IDX files like
// torch_cnn.cpp. NET names the network.
//   g++ -std=c++17 -O2 -I/usr/include/torch/csrc/api/include -DNET=Vgg \
//     -c bench/compile_time/torch_family.cpp
#include <torch/torch.h>

#include <cstdio>

#include "../family_torch.hpp"

int main(int argc, char** argv) {
  const std::string folder = argc > 1 ? argv[1] : "/tmp/fmnist";
  auto train = torch::data::datasets::MNIST(folder, torch::data::datasets::MNIST::Mode::kTrain)
                   .map(torch::data::transforms::Stack<>());
  auto test = torch::data::datasets::MNIST(folder, torch::data::datasets::MNIST::Mode::kTest);
  auto loader = torch::data::make_data_loader<torch::data::samplers::RandomSampler>(
      std::move(train), torch::data::DataLoaderOptions().batch_size(64));
  auto net = std::make_shared<bench::family_torch::NET>();
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(1e-3));
  net->train();
  for (auto& batch : *loader) {
    opt.zero_grad();
    auto loss = torch::nn::functional::cross_entropy(net->forward(batch.data), batch.target);
    loss.backward();
    opt.step();
  }
  net->eval();
  torch::NoGradGuard no_grad;
  const auto pred = net->forward(test.images()).argmax(1);
  std::printf("test accuracy %.2f%%\n",
              100 * pred.eq(test.targets()).sum().item<double>() / double(test.images().size(0)));
}
