// One network of the benchmark family (bench/family.hpp), trained for an epoch on Fashion-MNIST
// and evaluated: the program whose build time docs/performance.md compares with its libtorch
// twin (torch_family.cpp). NET names the network: Vgg, BnCnn, ResCnn, Inception or DeepMlp.
//   g++ -std=c++20 -O2 -march=native -Iinclude -isystem /usr/include/eigen3 -DNET=Vgg \
//     -c bench/compile_time/tg_family.cpp
#include <cstdio>
#include <tensorguard/tensorguard.hpp>

#include "../family.hpp"

namespace tg = tensorguard;

int main() {
  auto [train, test] = tg::data::fashion_mnist();
  tg::Model<bench::family::NET, tg::loss::SparseCategoricalCrossentropy> model{
      tg::optim::Adam{.learning_rate = 1e-3}};
  model.fit(train, {.epochs = 1, .batch_size = 64});
  std::printf("test accuracy %.2f%%\n", 100 * model.evaluate(test).accuracy);
}
