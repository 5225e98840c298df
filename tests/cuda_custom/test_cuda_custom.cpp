// A model with activations tensorguard::cuda does not ship trains on tg::Cuda once the project
// compiles their kernels (kernels.cu: TG_CUDA_ACTIVATION). Here, without a GPU, it links; on a
// GPU machine it trains as on Cpu.
#include <catch2/catch.hpp>
#include <tensorguard/backend/cuda.hpp>
#include <tensorguard/tensorguard.hpp>

#include "../random_dataset.hpp"
#include "activation.hpp"

namespace tg = tensorguard;

TEST_CASE("Activations of the user's own train on Cuda after TG_CUDA_ACTIVATION", "[cuda]") {
  using Net =
      tg::Sequential<tg::Input<tg::Shape<6, 6, 1>>, tg::Flatten, tg::Dense<12, custom::QuarterLeak>,
                     tg::Dense<8, custom::Softsign>, tg::Dense<3, tg::Softmax>>;
  const auto data = testing::random_dataset<tg::Shape<6, 6, 1>, 3>(96, 3);
  tg::FitOptions<std::decay_t<decltype(data)>> options;
  options.epochs = 2;
  options.batch_size = 32;
  options.verbose = tg::Verbosity::silent;
  tg::Model<Net, tg::loss::SparseCategoricalCrossentropy, tg::Cpu> cpu;
  const auto expected = cpu.fit(data, options);
  CHECK(std::isfinite(expected.last().loss));
  if (const auto problem = tg::cuda::device_problem(); !problem.empty()) {
    WARN("skipped on the GPU, none here: " << problem);
    return;
  }
  tg::Model<Net, tg::loss::SparseCategoricalCrossentropy, tg::Cuda> gpu;
  const auto got = gpu.fit(data, options);
  CHECK(got.last().loss == Approx(expected.last().loss).epsilon(1e-4));
}
