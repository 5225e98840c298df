// The benchmark family against libtorch (issue 14): each network of bench/family.hpp and its twin
// in family_torch.hpp trains one epoch on the first N Fashion-MNIST images (batch 64, Adam 1e-3),
// predicts the 10,000 test images (batches of 256) and one image at a time; the frameworks
// alternate, network by network, round after round, and the medians and ratios are printed as
// one table. Threads: TG_THREADS (both frameworks; 1 by default). TG_FAMILY=text runs only the
// networks whose names contain it (TG_FAMILY=CNN: the BatchNorm and residual CNNs).
//   build/bench/peer_family [rounds = 3] [training images = 12800]
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <tensorguard/tensorguard.hpp>
#include <vector>

#include "family.hpp"
#include "family_torch.hpp"
#include "torch_data.hpp"

namespace tg = tensorguard;
using Clock = std::chrono::steady_clock;
using Data = tg::data::FashionMnist;

namespace {
double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

struct Times {
  double train = 0, accuracy = 0, predict = 0, latency = 0;  // seconds; latency per image
};

constexpr int latency_samples = 300;

template <class Net>
Times tensorguard_run(const Data& train, const Data& test, bool guarded) {
  Times t;
  tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model{
      tg::optim::Adam{.learning_rate = 1e-3}};
  const auto policy = guarded ? tg::GuardPolicy{} : tg::GuardPolicy::all(tg::GuardLevel::off);
  auto t0 = Clock::now();
  model.fit(train,
            {.epochs = 1, .batch_size = 64, .verbose = tg::Verbosity::silent, .guards = policy});
  t.train = since(t0);
  t.accuracy = model.evaluate(test).accuracy;
  model.predict(test);  // sizes the buffers
  t0 = Clock::now();
  volatile float sink = model.predict(test)[0];
  t.predict = since(t0);
  std::vector<double> single;
  for (int i = 0; i < latency_samples + 20; ++i) {
    t0 = Clock::now();
    sink = model.predict(test.input(std::size_t(i)), 1)[0];
    if (i >= 20) single.push_back(since(t0));
  }
  (void)sink;
  t.latency = median(single);
  return t;
}

using bench::to_torch;
using bench::TorchData;

template <class Net>
Times torch_run(const TorchData& train, const TorchData& test) {
  Times t;
  auto net = std::make_shared<Net>();
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(1e-3));
  const auto n = train.x.size(0);
  net->train();
  auto t0 = Clock::now();
  auto order = torch::randperm(n, torch::kInt64);
  for (std::int64_t start = 0; start < n; start += 64) {
    auto idx = order.slice(0, start, std::min<std::int64_t>(start + 64, n));
    opt.zero_grad();
    auto loss = torch::nn::functional::cross_entropy(net->forward(train.x.index_select(0, idx)),
                                                     train.y.index_select(0, idx));
    loss.backward();
    opt.step();
  }
  t.train = since(t0);
  net->eval();
  torch::NoGradGuard no_grad;
  const auto m = test.x.size(0);
  auto predict_all = [&] {
    torch::Tensor last;
    for (std::int64_t start = 0; start < m; start += 256)
      last = net->forward(test.x.slice(0, start, std::min<std::int64_t>(start + 256, m)));
    return last;
  };
  t.accuracy = net->forward(test.x).argmax(1).eq(test.y).sum().template item<double>() / double(m);
  predict_all();
  t0 = Clock::now();
  predict_all();
  t.predict = since(t0);
  std::vector<double> single;
  for (int i = 0; i < latency_samples + 20; ++i) {
    t0 = Clock::now();
    auto y = net->forward(test.x.slice(0, i, i + 1));
    (void)y.template data_ptr<float>();
    if (i >= 20) single.push_back(since(t0));
  }
  t.latency = median(single);
  return t;
}

struct Row {
  std::vector<Times> tg, unguarded, torch;
};

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 3;
  const std::size_t images = argc > 2 ? std::size_t(std::atol(argv[2])) : 12800;
  const int threads = std::getenv("TG_THREADS") ? std::atoi(std::getenv("TG_THREADS")) : 1;
  const std::string only = std::getenv("TG_FAMILY") ? std::getenv("TG_FAMILY") : "";
  bench::torch_threads(threads);
  torch::manual_seed(1);
  auto [all_train, test] = tg::data::fashion_mnist();
  const Data train = all_train.first(images);
  const auto ttrain = to_torch(train), ttest = to_torch(test);
  using namespace bench;
  std::map<std::string, Row> rows;
  const std::vector<std::string> names = {"VGG-style (Same)", "BatchNorm CNN", "Residual CNN",
                                          "Inception block", "Deep MLP + Dropout"};
  for (int r = 0; r < rounds; ++r) {
    auto run = [&]<class TgNet, class TorchNet>(const std::string& name) {
      if (name.find(only) == std::string::npos) return;
      auto& row = rows[name];
      row.torch.push_back(torch_run<TorchNet>(ttrain, ttest));
      row.tg.push_back(tensorguard_run<TgNet>(train, test, true));
      row.unguarded.push_back(tensorguard_run<TgNet>(train, test, false));
      std::printf("round %d %-20s libtorch %.2f s, tensorguard %.2f s (guards off %.2f s)\n", r + 1,
                  name.c_str(), row.torch.back().train, row.tg.back().train,
                  row.unguarded.back().train);
      std::fflush(stdout);
    };
    run.operator()<family::Vgg, family_torch::Vgg>(names[0]);
    run.operator()<family::BnCnn, family_torch::BnCnn>(names[1]);
    run.operator()<family::ResCnn, family_torch::ResCnn>(names[2]);
    run.operator()<family::Inception, family_torch::Inception>(names[3]);
    run.operator()<family::DeepMlp, family_torch::DeepMlp>(names[4]);
  }
  auto med = [](const std::vector<Times>& v, double Times::*field) {
    std::vector<double> x;
    for (const auto& t : v) x.push_back(t.*field);
    return median(x);
  };
  std::printf(
      "\nmedians of %d rounds, %d thread(s); training: one epoch of %zu images, batch 64, Adam "
      "1e-3; predict: 10,000 images in batches of 256; latency: one image\n",
      rounds, threads, train.size());
  std::printf("%-20s %9s %9s %7s %9s %7s %9s %9s %7s %9s %9s %7s %8s %8s\n", "network", "torch s",
              "tg s", "speed", "tg off s", "speed", "torch ms", "tg ms", "speed", "torch us",
              "tg us", "speed", "torch %", "tg %");
  for (const auto& name : names) {
    const auto& row = rows[name];
    if (row.tg.empty()) continue;
    const double lt = med(row.torch, &Times::train), tt = med(row.tg, &Times::train),
                 ut = med(row.unguarded, &Times::train);
    const double lp = med(row.torch, &Times::predict), tp = med(row.tg, &Times::predict);
    const double ll = med(row.torch, &Times::latency), tl = med(row.tg, &Times::latency);
    std::printf(
        "%-20s %9.3f %9.3f %6.2fx %9.3f %6.2fx %9.1f %9.1f %6.2fx %9.1f %9.1f %6.2fx %8.2f %8.2f\n",
        name.c_str(), lt, tt, lt / tt, ut, lt / ut, 1e3 * lp, 1e3 * tp, lp / tp, 1e6 * ll, 1e6 * tl,
        ll / tl, 100 * med(row.torch, &Times::accuracy), 100 * med(row.tg, &Times::accuracy));
  }
  std::printf("speed: libtorch's time / tensorguard's (above 1: tensorguard is faster)\n");
}
