// After the first step, a training step allocates nothing: every buffer is sized when the
// model is built or first sees a batch size. malloc is counted at the C level, which also sees
// Eigen's own temporaries.
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <tensorguard/tensorguard.hpp>

#include "random_dataset.hpp"

extern "C" void* __libc_malloc(std::size_t);
extern "C" void* __libc_calloc(std::size_t, std::size_t);
extern "C" void* __libc_realloc(void*, std::size_t);
extern "C" int __libc_posix_memalign(void**, std::size_t, std::size_t);

namespace {
std::atomic<long> allocations{0};
}
extern "C" void* malloc(std::size_t n) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_malloc(n);
}
extern "C" void* calloc(std::size_t a, std::size_t b) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_calloc(a, b);
}
extern "C" void* realloc(void* p, std::size_t n) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_realloc(p, n);
}

namespace tg = tensorguard;
using namespace tg;

// Allocations between the end of one step and the end of the next, over every step after the
// first of a second epoch (the first epoch sizes the buffers).
template <class Net, class D>
long allocations_in_steps(const D& data, std::size_t batch, unsigned threads = 1) {
  Model<Net, loss::SparseCategoricalCrossentropy> model;
  model.backend().set_threads(threads);
  GuardPolicy every_step;  // the guards' sampled statistics on every step, to count them too
  every_step.sample_every = 1;
  every_step.print_warnings = false;
  model.fit(data,
            {.epochs = 1, .batch_size = batch, .verbose = Verbosity::silent, .guards = every_step});
  long during_steps = 0, last = 0;
  Callback count{.on_batch_end = [&](std::size_t step, double, TrainingControl&) {
    const long now = allocations.load();
    if (step > 0) during_steps += now - last;
    last = allocations.load();
  }};
  model.fit(data,
            {.epochs = 1, .batch_size = batch, .verbose = Verbosity::silent, .callbacks = {count}});
  return during_steps;
}

TEST_CASE("Training steps allocate nothing after the first", "[allocation]") {
  const auto data = testing::random_dataset<Shape<28, 28, 1>, 10>(256, 1);
  using Mlp = Sequential<Input<Shape<28, 28, 1>>, Flatten, Dense<128, ReLU>, Dense<10, Softmax>>;
  using Cnn = Sequential<Input<Shape<28, 28, 1>>, Conv2D<32, Kernel<3, 3>, ReLU>,
                         MaxPool2D<Pool<2, 2>>, Flatten, Dense<10, Softmax>>;
  CHECK(allocations_in_steps<Mlp>(data, 64) == 0);
  CHECK(allocations_in_steps<Cnn>(data, 64) == 0);
  // Micro-batches and the replicas of two threads reuse their buffers too.
  CHECK(allocations_in_steps<Cnn>(data, 64, 2) == 0);
  CHECK(allocations_in_steps<Mlp>(data, 64, 2) == 0);
}

// Same-padded stacks on the direct convolution path, BatchNormalization, a residual block, an
// Inception-style Concat and Dropout: the kinds of layer the benchmark family (bench/family.hpp)
// is made of.
using FamilyMix =
    Sequential<Input<Shape<12, 12, 1>>, Conv2D<16, Kernel<3>, Same, ReLU>,
               Residual<Conv2D<16, Kernel<3>, Same, ReLU>, Conv2D<16, Kernel<3>, Same>>,
               Concat<-1, Branch<Conv2D<8, Kernel<1>, ReLU>>,
                      Branch<MaxPool2D<Pool<3>, Stride<1>, Same>, Conv2D<8, Kernel<1>>>>,
               MaxPool2D<Pool<2>>, Flatten, Dense<32, ReLU>, Dropout<Rate<20>>, Dense<10, Softmax>>;
using NormalizedMix = Sequential<Input<Shape<12, 12, 1>>, Conv2D<32, Kernel<3>>, BatchNormalization,
                                 Activation<ReLU>, Conv2D<16, Kernel<3>, Same>, BatchNormalization,
                                 Activation<ReLU>, MaxPool2D<Pool<2>>, Flatten, Dense<10, Softmax>>;

TEST_CASE("The benchmark family's kinds of layer allocate nothing per step", "[allocation]") {
  const auto data = testing::random_dataset<Shape<12, 12, 1>, 10>(256, 2);
  CHECK(allocations_in_steps<FamilyMix>(data, 64) == 0);
  CHECK(allocations_in_steps<FamilyMix>(data, 64, 2) == 0);
  CHECK(allocations_in_steps<NormalizedMix>(data, 64) == 0);
  CHECK(allocations_in_steps<NormalizedMix>(data, 64, 2) == 0);
}

TEST_CASE("A single-sample predict allocates only the vector it returns", "[allocation]") {
  const auto data = testing::random_dataset<Shape<12, 12, 1>, 10>(256, 3);
  Model<FamilyMix, loss::SparseCategoricalCrossentropy> model;
  model.fit(data, {.epochs = 1, .batch_size = 64, .verbose = Verbosity::silent});
  model.predict(data.input(0), 1);  // sizes the inference buffers
  const long before = allocations.load();
  for (std::size_t i = 1; i <= 10; ++i) CHECK(model.predict(data.input(i), 1).size() == 10);
  CHECK(allocations.load() - before == 10);
}
