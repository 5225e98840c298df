// A batch may run through the network in micro-batches (to stay in cache) and across threads
// (one replica of the buffers per thread): the gradient, the update and the outputs must be
// those of the whole batch, up to the order of floating-point additions.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <tensorguard/tensorguard.hpp>
#include <vector>

#include "random_dataset.hpp"

namespace tg = tensorguard;
using namespace tg;

namespace {
using Images = Shape<8, 8, 2>;
using Cnn =
    Sequential<Input<Images, double>, Conv2D<4, Kernel<3>, ReLU>, MaxPool2D<Pool<2>>,
               Concat<-1, Branch<Conv2D<3, Kernel<3>, Same, Tanh>>, Branch<Dropout<Rate<0>>>>,
               Flatten, Residual<Dense<6, Tanh>, Dense<63>>, Dense<5, Softmax>>;
using Normalized = Sequential<Input<Shape<6>, double>, Dense<8>, BatchNormalization,
                              Activation<ReLU>, Dense<3, Softmax>>;
using Sparse = loss::SparseCategoricalCrossentropy;

template <class Net>
struct Batch {
  std::vector<double> x;
  std::vector<std::int32_t> labels;
  Batch(std::size_t n, std::uint64_t seed) {
    Rng rng(seed);
    x.resize(n * Net::input_shape::size);
    for (auto& v : x) v = rng.uniform(-1.0, 1.0);
    for (std::size_t i = 0; i < n; ++i)
      labels.push_back(std::int32_t(rng.below(Net::output_shape::size)));
  }
};

// The gradient of the mean loss over the batch, computed with the given split.
template <class Net>
std::vector<double> gradient(const Batch<Net>& batch, std::size_t working_set, unsigned threads,
                             double* loss = nullptr) {
  using D = Dataset<typename Net::input_shape, ClassIndex<Net::output_shape::size>, double>;
  Model<Net, Sparse> model{optim::SGD{}, 3};
  model.backend().set_working_set_bytes(working_set);
  model.backend().set_threads(threads);
  const double l = model.template loss_and_gradient<D>(batch.x, batch.labels, Mode::training);
  if (loss) *loss = l;
  return {model.gradients().begin(), model.gradients().end()};
}

double relative_difference(const std::vector<double>& a, const std::vector<double>& b) {
  double diff = 0, norm = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff += (a[i] - b[i]) * (a[i] - b[i]);
    norm += a[i] * a[i];
  }
  return std::sqrt(diff / norm);
}

constexpr std::size_t whole = std::size_t(1) << 40;  // a working set no batch fills
}  // namespace

TEST_CASE("A batch split into micro-batches gives the whole-batch gradient and loss",
          "[micro-batch]") {
  const Batch<Cnn> batch(7, 11);
  double whole_loss = 0, split_loss = 0;
  const auto reference = gradient<Cnn>(batch, whole, 1, &whole_loss);
  // One sample per micro-batch, then pieces of 3, 3 and 1 (3 samples' worth of buffers).
  const auto one_by_one = gradient<Cnn>(batch, 1, 1, &split_loss);
  const auto threes = gradient<Cnn>(batch, 3 * Cnn::body::cache_per_sample * sizeof(double), 1);
  CHECK(relative_difference(reference, one_by_one) < 1e-12);
  CHECK(relative_difference(reference, threes) < 1e-12);
  CHECK(split_loss == Approx(whole_loss).epsilon(1e-12));
}

TEST_CASE("A batch split across threads gives the whole-batch gradient", "[micro-batch][threads]") {
  const Batch<Cnn> batch(7, 12);
  const auto reference = gradient<Cnn>(batch, whole, 1);
  for (unsigned threads : {2u, 3u}) {
    INFO(threads << " threads");
    CHECK(relative_difference(reference, gradient<Cnn>(batch, whole, threads)) < 1e-12);
    CHECK(relative_difference(reference, gradient<Cnn>(batch, 1, threads)) < 1e-12);
  }
  // More threads than samples: the extra threads stay idle.
  const Batch<Cnn> two(2, 13);
  CHECK(relative_difference(gradient<Cnn>(two, whole, 1), gradient<Cnn>(two, whole, 3)) < 1e-12);
}

TEST_CASE("BatchNormalization's batch statistics keep its batches whole", "[micro-batch]") {
  STATIC_REQUIRE(Normalized::body::couples_samples);
  STATIC_REQUIRE_FALSE(Cnn::body::couples_samples);
  const Batch<Normalized> batch(6, 14);
  const auto reference = gradient<Normalized>(batch, whole, 1);
  // Split, the statistics would be per micro-batch and the gradient would differ.
  CHECK(relative_difference(reference, gradient<Normalized>(batch, 1, 1)) < 1e-12);
  Model<Normalized, Sparse> model;
  model.backend().set_working_set_bytes(1);
  model.backend().set_threads(1);
  CHECK(model.training_split(6).micro_batch == 6);
}

namespace {
// BatchNormalization first (no input gradient), inside a residual branch, and after a Dense.
using NormalizedFirst =
    Sequential<Input<Shape<6>, double>, BatchNormalization, Dense<8, ReLU>, Dense<3, Softmax>>;
using NormalizedCnn =
    Sequential<Input<Images, double>, Conv2D<4, Kernel<3>>,
               Residual<Conv2D<4, Kernel<3>, Same>, BatchNormalization>, Activation<ReLU>,
               MaxPool2D<Pool<2>>, Flatten, Dense<6>, BatchNormalization, Dense<5, Softmax>>;

// The gradient and the running statistics after one training-mode pass on `threads` threads.
template <class Net>
std::pair<std::vector<double>, std::vector<double>> gradient_and_state(const Batch<Net>& batch,
                                                                       unsigned threads) {
  using D = Dataset<typename Net::input_shape, ClassIndex<Net::output_shape::size>, double>;
  Model<Net, Sparse> model{optim::SGD{}, 5};
  model.backend().set_threads(threads);
  const auto split = model.training_split(batch.labels.size());
  CHECK(split.threads == std::min<std::size_t>(threads, batch.labels.size()));
  model.template loss_and_gradient<D>(batch.x, batch.labels, Mode::training);
  return {{model.gradients().begin(), model.gradients().end()},
          {model.state().begin(), model.state().end()}};
}
}  // namespace

TEMPLATE_TEST_CASE("BatchNormalization splits a batch across threads with whole-batch statistics",
                   "[micro-batch][threads]", Normalized, NormalizedFirst, NormalizedCnn) {
  STATIC_REQUIRE(TestType::body::couples_samples);
  STATIC_REQUIRE(detail::splits_across_threads<typename TestType::body>);
  // 7 samples: parts of unequal size (3 + 4, 2 + 2 + 3), so the combination is weighted.
  const Batch<TestType> batch(7, 21);
  const auto [reference, reference_state] = gradient_and_state<TestType>(batch, 1);
  for (unsigned threads : {2u, 3u}) {
    INFO(threads << " threads");
    const auto [split, split_state] = gradient_and_state<TestType>(batch, threads);
    CHECK(relative_difference(reference, split) < 1e-12);
    CHECK(relative_difference(reference_state, split_state) < 1e-12);
  }
}

TEST_CASE("predict and evaluate give the same results in micro-batches and on threads",
          "[micro-batch][threads]") {
  using FloatCnn = Sequential<Input<Shape<28, 28, 1>>, Conv2D<8, Kernel<3>, ReLU>,
                              MaxPool2D<Pool<2>>, Flatten, Dense<10, Softmax>>;
  const auto data = testing::random_dataset<Shape<28, 28, 1>, 10>(37, 15);
  Model<FloatCnn, Sparse> model;
  model.backend().set_working_set_bytes(whole);
  const auto reference = model.predict(data, 16);
  const auto reference_eval = model.evaluate(data, 16);
  model.backend().set_working_set_bytes(5 * FloatCnn::body::cache_per_sample * sizeof(float));
  model.backend().set_threads(2);
  // Each output depends on its sample alone; GEMM blocking may reorder its additions.
  const auto split = model.predict(data, 16);
  REQUIRE(split.size() == reference.size());
  float worst = 0;
  for (std::size_t i = 0; i < split.size(); ++i)
    worst = std::max(worst, std::abs(split[i] - reference[i]));
  CHECK(worst < 1e-6f);
  const auto split_eval = model.evaluate(data, 16);
  CHECK(split_eval.loss == Approx(reference_eval.loss).epsilon(1e-6));
  CHECK(split_eval.accuracy == reference_eval.accuracy);
}

TEST_CASE("Training with Dropout on two threads is reproducible from the seed", "[threads]") {
  using Net = Sequential<Input<Shape<12>>, Dense<16, ReLU>, Dropout<Rate<1, 4>>, Dense<3, Softmax>>;
  const auto data = testing::random_dataset<Shape<12>, 3>(96, 16);
  auto train = [&] {
    Model<Net, Sparse> model;
    model.backend().set_threads(2);
    model.fit(data, {.epochs = 2, .batch_size = 32, .verbose = Verbosity::silent});
    return std::vector<float>(model.parameters().begin(), model.parameters().end());
  };
  const auto first = train();
  CHECK(first == train());
}

TEST_CASE("Two threads sum their gradients and step every optimizer as one thread does",
          "[threads]") {
  using Net = Sequential<Input<Shape<12>>, Dense<16, ReLU>, Dense<3, Softmax>>;
  const auto data = testing::random_dataset<Shape<12>, 3>(96, 17);
  auto train = [&](optim::Settings settings, unsigned threads) {
    Model<Net, Sparse> model{settings};
    model.backend().set_threads(threads);
    // Guards off: no sampled step, so every update takes the threads' summed-and-stepped path.
    model.fit(data, {.epochs = 3,
                     .batch_size = 32,
                     .shuffle = false,
                     .verbose = Verbosity::silent,
                     .guards = GuardPolicy::all(GuardLevel::off)});
    return std::vector<float>(model.parameters().begin(), model.parameters().end());
  };
  for (const optim::Settings& settings :
       {optim::Settings{optim::Adam{}}, optim::Settings{optim::AdamW{}},
        optim::Settings{optim::SGD{.learning_rate = 0.1, .momentum = 0.9}},
        optim::Settings{optim::RMSProp{}}}) {
    const auto one = train(settings, 1), two = train(settings, 2);
    float worst = 0;
    for (std::size_t i = 0; i < one.size(); ++i) worst = std::max(worst, std::abs(one[i] - two[i]));
    INFO("optimizer " << settings.index());
    CHECK(worst < 1e-5f);
    Model<Net, Sparse> untrained{settings};
    CHECK(std::vector<float>(untrained.parameters().begin(), untrained.parameters().end()) != one);
  }
}

// Conv2D computes inference passes straight from the padded image (no patch matrix); a gradient
// pass in inference mode (loss_and_gradient(..., Mode::inference), as gradient checks use) must
// still give the weight gradient from this batch's patches, not from a previous pass's.
TEST_CASE("A gradient in inference mode is the training-mode gradient for a convolution",
          "[micro-batch]") {
  using Net = Sequential<Input<Shape<6, 6, 2>, double>, Conv2D<4, Kernel<3>, Same, Tanh>,
                         Conv2D<3, Kernel<3>, Tanh>, Flatten, Dense<5, Softmax>>;
  using D = Dataset<Net::input_shape, ClassIndex<5>, double>;
  const Batch<Net> first(8, 31), second(8, 32);
  Model<Net, Sparse> model{optim::SGD{}, 5};
  // A pass over other samples leaves their patches behind.
  model.loss_and_gradient<D>(first.x, first.labels, Mode::training);
  model.loss_and_gradient<D>(second.x, second.labels, Mode::inference);
  const std::vector<double> in_inference(model.gradients().begin(), model.gradients().end());
  model.loss_and_gradient<D>(second.x, second.labels, Mode::training);
  const std::vector<double> in_training(model.gradients().begin(), model.gradients().end());
  CHECK(relative_difference(in_inference, in_training) < 1e-12);
}
