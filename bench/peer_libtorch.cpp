// Side-by-side with libtorch: the same MLP and CNN trained for one epoch on Fashion-MNIST
// (batch 64, Adam 1e-3, one thread unless TG_THREADS says otherwise), and predict over the
// 10,000 test images. The frameworks alternate, round after round; medians and ratios at the end.
//   build-bench/bench/peer_libtorch [rounds]
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <tensorguard/tensorguard.hpp>
#include <vector>

#include "models.hpp"
#include "torch_data.hpp"
#include "torch_models.hpp"

namespace tg = tensorguard;
using Clock = std::chrono::steady_clock;

namespace {
using TgCnn = bench::Cnn;
using TgMlp = bench::Mlp;
using bench::TorchCnn;
using bench::TorchMlp;

struct Result {
  double seconds, accuracy;
};

// guarded: every runtime guard at its default level (data checks included), as users run it;
// otherwise all guards off, the same work libtorch does.
template <class Net>
Result tg_train(const tg::data::FashionMnist& train, const tg::data::FashionMnist& test,
                bool guarded) {
  tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model{
      tg::optim::Adam{.learning_rate = 1e-3}};
  tg::GuardPolicy policy = guarded ? tg::GuardPolicy{} : tg::GuardPolicy::all(tg::GuardLevel::off);
  const auto t0 = Clock::now();
  model.fit(train,
            {.epochs = 1, .batch_size = 64, .verbose = tg::Verbosity::silent, .guards = policy});
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  return {s, model.evaluate(test).accuracy};
}
template <class Net>
double tg_predict(const tg::data::FashionMnist& test) {
  tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model;
  model.predict(test);  // warm-up sizes the buffers
  const auto t0 = Clock::now();
  volatile float sink = model.predict(test)[0];
  (void)sink;
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

using bench::to_torch;
using bench::TorchData;

template <class Net>
Result torch_train(const TorchData& train, const TorchData& test) {
  auto net = std::make_shared<Net>();
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(1e-3));
  const auto n = train.x.size(0);
  const auto t0 = Clock::now();
  auto order = torch::randperm(n, torch::kInt64);
  for (std::int64_t start = 0; start < n; start += 64) {
    auto idx = order.slice(0, start, std::min(start + 64, n));
    auto x = train.x.index_select(0, idx), y = train.y.index_select(0, idx);
    opt.zero_grad();
    auto loss = torch::nn::functional::cross_entropy(net->forward(x), y);
    loss.backward();
    opt.step();
  }
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  torch::NoGradGuard no_grad;
  const auto pred = net->forward(test.x).argmax(1);
  return {s, pred.eq(test.y).sum().template item<double>() / double(test.x.size(0))};
}
template <class Net>
double torch_predict(const TorchData& test) {
  auto net = std::make_shared<Net>();
  torch::NoGradGuard no_grad;
  net->forward(test.x.slice(0, 0, 256));
  const auto t0 = Clock::now();
  for (std::int64_t start = 0; start < test.x.size(0); start += 256)
    net->forward(test.x.slice(0, start, std::min<std::int64_t>(start + 256, test.x.size(0))));
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}
}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 3;
  const int threads = std::getenv("TG_THREADS") ? std::atoi(std::getenv("TG_THREADS")) : 1;
  bench::torch_threads(threads);
  torch::manual_seed(1);
  auto [train, test] = tg::data::fashion_mnist();
  const auto ttrain = to_torch(train), ttest = to_torch(test);
  std::map<std::string, std::vector<double>> t, acc;
  for (int r = 0; r < rounds; ++r) {
    auto run = [&](const std::string& name, Result res) {
      t[name].push_back(res.seconds);
      acc[name].push_back(res.accuracy);
      std::printf("round %d  %-16s %.3f s  accuracy %.2f%%\n", r + 1, name.c_str(), res.seconds,
                  100 * res.accuracy);
      std::fflush(stdout);
    };
    run("libtorch MLP", torch_train<TorchMlp>(ttrain, ttest));
    run("tensorguard MLP", tg_train<TgMlp>(train, test, true));
    run("unguarded MLP", tg_train<TgMlp>(train, test, false));
    run("libtorch CNN", torch_train<TorchCnn>(ttrain, ttest));
    run("tensorguard CNN", tg_train<TgCnn>(train, test, true));
    run("unguarded CNN", tg_train<TgCnn>(train, test, false));
    t["libtorch predict MLP"].push_back(torch_predict<TorchMlp>(ttest));
    t["tensorguard predict MLP"].push_back(tg_predict<TgMlp>(test));
    t["libtorch predict CNN"].push_back(torch_predict<TorchCnn>(ttest));
    t["tensorguard predict CNN"].push_back(tg_predict<TgCnn>(test));
  }
  std::printf(
      "\nmedians of %d rounds, %d thread(s), one epoch of Fashion-MNIST, batch 64, Adam 1e-3\n",
      rounds, threads);
  for (const char* m : {"MLP", "CNN"}) {
    const double lt = median(t[std::string("libtorch ") + m]),
                 tt = median(t[std::string("tensorguard ") + m]);
    const double ut = median(t[std::string("unguarded ") + m]);
    std::printf(
        "%s train: libtorch %.3f s (%.2f%%), tensorguard %.3f s (%.2f%%): %.2fx; "
        "with guards off %.3f s: %.2fx\n",
        m, lt, 100 * median(acc[std::string("libtorch ") + m]), tt,
        100 * median(acc[std::string("tensorguard ") + m]), lt / tt, ut, lt / ut);
    const double lp = median(t[std::string("libtorch predict ") + m]),
                 tp = median(t[std::string("tensorguard predict ") + m]);
    std::printf("%s predict 10,000: libtorch %.1f ms, tensorguard %.1f ms: %.2fx\n", m, 1e3 * lp,
                1e3 * tp, lp / tp);
  }
}
