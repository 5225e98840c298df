// The device seam: a model on CheckedDevice (device rules on the CPU's math) trains exactly as
// on Cpu, crosses the bus once each way per step, and its memory is out of the host's reach.
#include <catch2/catch.hpp>
#include <cstring>
#include <tensorguard/tensorguard.hpp>
#include <type_traits>

#include "random_dataset.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define TG_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TG_TEST_ASAN 1
#endif
#endif
#ifdef TG_TEST_ASAN
#include <sanitizer/asan_interface.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

namespace tg = tensorguard;

namespace {
using Net = tg::Sequential<tg::Input<tg::Shape<8, 8, 1>>, tg::Conv2D<4, tg::Kernel<3>, tg::ReLU>,
                           tg::MaxPool2D<tg::Pool<2>>, tg::Flatten, tg::Dropout<tg::Rate<25>>,
                           tg::Dense<16, tg::Tanh>, tg::Dense<3, tg::Softmax>>;
using Loss = tg::loss::SparseCategoricalCrossentropy;

template <class P>
concept Dereferenceable = requires(P p) {
  *p;
};
template <class P>
concept Indexable = requires(P p) {
  p[0];
};
template <class M>
concept HasHostViews = requires(M& m) {
  m.parameters();
};

// The CPU backend without its optional direct-convolution ops: its convolutions go through the
// patch matrix, as the device's do. The direct ops sum in another order (their results differ
// from the patch matrix's by rounding), so the bit-for-bit comparison is with this one.
struct PatchMatrixCpu : tg::Cpu {
  using tg::Cpu::Cpu;
  template <class... A>
  void convolve(A&&...) = delete;
  template <class... A>
  void convolve_input_gradient(A&&...) = delete;
  template <class... A>
  void convolve_weight_gradient(A&&...) = delete;
};

template <class B>
struct Trained {
  tg::History history;
  std::vector<float> weights, predictions;
  tg::Evaluation evaluation;
};

template <class B>
Trained<B> train(const tg::Dataset<tg::Shape<8, 8, 1>, tg::ClassIndex<3>>& data) {
  tg::Model<Net, Loss, B> model;
  if constexpr (std::is_base_of_v<tg::Cpu, B>) {
    model.backend().set_threads(1);  // one part, one micro-batch: the device's order of sums
    model.backend().set_working_set_bytes(std::size_t(1) << 30);
  }
  tg::FitOptions<std::decay_t<decltype(data)>> options;
  options.epochs = 3;
  options.batch_size = 16;
  options.verbose = tg::Verbosity::silent;
  options.guards.sample_every = 1;  // every guard statistic on every step
  Trained<B> out;
  out.history = model.fit(data, options);
  out.weights = model.get_weights();
  out.predictions = model.predict(data);
  out.evaluation = model.evaluate(data);
  return out;
}
}  // namespace

TEST_CASE("A model trains bit for bit the same on CheckedDevice as on Cpu", "[device]") {
  const auto data = testing::random_dataset<tg::Shape<8, 8, 1>, 3>(100, 7);
  const auto cpu = train<PatchMatrixCpu>(data);
  const auto device = train<tg::CheckedDevice>(data);
  REQUIRE(cpu.history.epochs.size() == device.history.epochs.size());
  for (std::size_t e = 0; e < cpu.history.epochs.size(); ++e) {
    CHECK(cpu.history.epochs[e].loss == device.history.epochs[e].loss);
    CHECK(cpu.history.epochs[e].accuracy == device.history.epochs[e].accuracy);
  }
  // Dropout's counter-based masks and every update agree: the weights are identical.
  const bool same_weights = cpu.weights == device.weights;
  CHECK(same_weights);
  const bool same_predictions = cpu.predictions == device.predictions;
  CHECK(same_predictions);
  CHECK(cpu.evaluation.loss == device.evaluation.loss);
  CHECK(cpu.evaluation.accuracy == device.evaluation.accuracy);
}

TEST_CASE("A training step uploads the batch once and downloads one small record", "[device]") {
  const auto data = testing::random_dataset<tg::Shape<8, 8, 1>, 3>(64, 3);
  tg::Model<Net, Loss, tg::CheckedDevice> model;
  tg::FitOptions<std::decay_t<decltype(data)>> options;
  options.epochs = 1;
  options.batch_size = 16;
  options.verbose = tg::Verbosity::silent;
  options.guards.sample_every = 1;  // the worst case: every statistic every step
  model.fit(data, options);         // warm-up: buffers are sized, the probe laid out
  options.guards = tg::GuardPolicy::all(tg::GuardLevel::off);
  options.guards.sample_every = 1;
  for (const bool guarded : {false, true}) {
    options.guards = guarded ? tg::GuardPolicy{} : tg::GuardPolicy::all(tg::GuardLevel::off);
    options.guards.sample_every = 1;
    options.guards.memory_limit_bytes = std::size_t(1) << 40;
    model.backend().reset_transfers();
    model.fit(data, options);
    const auto& t = model.backend().transfers();
    const std::size_t steps = 64 / 16;
    INFO("guards " << (guarded ? "on" : "off") << ": " << t.uploads << " uploads ("
                   << t.upload_bytes << " bytes), " << t.downloads << " downloads ("
                   << t.download_bytes << " bytes) in " << steps << " steps");
    CHECK(t.uploads == steps);
    const std::size_t batch_bytes = 16 * (64 * sizeof(float) + sizeof(std::int32_t));
    CHECK(t.upload_bytes <= steps * (batch_bytes + 64));
    CHECK(t.downloads == steps);
    CHECK(t.download_bytes <= steps * 256 * sizeof(double));
  }
}

TEST_CASE("Evaluation reads its sums once; predict moves each batch once each way", "[device]") {
  const auto data = testing::random_dataset<tg::Shape<8, 8, 1>, 3>(100, 5);
  tg::Model<Net, Loss, tg::CheckedDevice> model;
  model.backend().reset_transfers();
  model.evaluate(data, 32);
  CHECK(model.backend().transfers().uploads == 4);
  CHECK(model.backend().transfers().downloads == 1);
  model.backend().reset_transfers();
  model.predict(data, 50);
  CHECK(model.backend().transfers().uploads == 2);
  CHECK(model.backend().transfers().downloads == 2);
}

TEST_CASE("Device pointers have no dereference", "[device]") {
  using Ptr = tg::DevicePtr<float>;
  STATIC_REQUIRE_FALSE(Dereferenceable<Ptr>);
  STATIC_REQUIRE_FALSE(Indexable<Ptr>);
  STATIC_REQUIRE(Dereferenceable<float*>);
  STATIC_REQUIRE_FALSE(std::is_convertible_v<Ptr, float*>);
  STATIC_REQUIRE_FALSE(std::is_convertible_v<Ptr, const float*>);

  // Nor does the device model hand out host views of its arrays.
  using DeviceModel = tg::Model<Net, Loss, tg::CheckedDevice>;
  STATIC_REQUIRE_FALSE(HasHostViews<DeviceModel>);
  STATIC_REQUIRE(HasHostViews<tg::Model<Net, Loss, tg::Cpu>>);
}

TEST_CASE("CheckedDevice memory is poisoned outside its ops", "[device]") {
  tg::checked::DeviceBuffer<float> buffer(64);
  tg::CheckedDevice device;
  const float ones[4] = {1, 1, 1, 1};
  device.upload(ones, buffer.data(), 4);
  float back[4] = {};
  device.download(buffer.data(), back, 4);
  CHECK(back[3] == 1.0f);
#ifdef TG_TEST_ASAN
  const float* address = buffer.data().unsafe_address();
  CHECK(__asan_address_is_poisoned(address));
  {
    tg::checked::OpScope inside;
    CHECK_FALSE(__asan_address_is_poisoned(address));
  }
  CHECK(__asan_address_is_poisoned(address));
#else
  SUCCEED("poisoning is checked in the ASan build");
#endif
}

#ifdef TG_TEST_ASAN
TEST_CASE("A host loop over device memory stops with an AddressSanitizer report", "[device]") {
  // The child reads a device buffer through its raw address, as a careless guard would.
  int pipe_fds[2];
  REQUIRE(pipe(pipe_fds) == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    dup2(pipe_fds[1], STDERR_FILENO);
    tg::checked::DeviceBuffer<float> weights(256);
    const float* raw = weights.data().unsafe_address();
    volatile float sum = 0;
    for (int i = 0; i < 256; ++i) sum = sum + raw[i];
    _exit(0);  // not reached: ASan stops the read
  }
  close(pipe_fds[1]);
  std::string report;
  char chunk[4096];
  for (ssize_t got; (got = read(pipe_fds[0], chunk, sizeof chunk)) > 0;)
    report.append(chunk, std::size_t(got));
  close(pipe_fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  CHECK_FALSE((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  CHECK(report.find("use-after-poison") != std::string::npos);
  CHECK(report.find("test_device.cpp") != std::string::npos);  // the file and line of the read
}
#endif

TEST_CASE("The memory guard asks the backend how much memory it has", "[device][guards]") {
  const auto data = testing::random_dataset<tg::Shape<8, 8, 1>, 3>(64, 3);
  tg::Model<Net, Loss, tg::CheckedDevice> model;
  model.backend().set_memory_limit(4096);  // a device with 4 KiB free
  tg::FitOptions<std::decay_t<decltype(data)>> options;
  options.batch_size = 32;
  options.verbose = tg::Verbosity::silent;
  CHECK_THROWS_WITH(model.check_data(data, options), Catch::Contains("TG-DATA-MEMORY"));
  model.backend().set_memory_limit(std::size_t(1) << 40);
  CHECK_NOTHROW(model.check_data(data, options));
}

TEST_CASE("Dropout masks come from (seed, position): the same units on every backend", "[device]") {
  tg::Cpu cpu;
  tg::CheckedDevice device;
  std::vector<float> x(1000, 1.0f), y(1000), mask(1000);
  cpu.dropout_forward(x.data(), y.data(), mask.data(), x.size(), 0.5, 99, 1234);
  tg::checked::DeviceBuffer<float> dx(1000), dy(1000), dmask(1000);
  device.upload(x.data(), dx.data(), 1000);
  device.dropout_forward(tg::DevicePtr<const float>(dx.data()), dy.data(), dmask.data(),
                         std::size_t(1000), 0.5, std::uint64_t(99), std::uint64_t(1234));
  std::vector<float> back(1000);
  device.download(dy.data(), back.data(), 1000);
  const bool same = back == y;
  CHECK(same);
  std::size_t kept = 0;
  for (float v : y) kept += v != 0;
  CHECK(kept > 430);
  CHECK(kept < 570);
}
