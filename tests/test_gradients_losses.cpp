// Every loss (plain, from logits and fused with its activation) and every branch form against
// finite differences (double precision).
#include "gradient_check.hpp"

using namespace tg;

template <class Act, std::size_t Out = 4>
using Head = Sequential<Input<Shape<5>, double>, Dense<6, Tanh>, Dense<Out, Act>>;

using BinaryHead = Head<Sigmoid, 1>;
using BinaryLogitHead = Head<Linear, 1>;

TEST_CASE("Regression losses match finite differences", "[gradient][loss]") {
  testing::expect_gradients<Head<Linear>, loss::MeanSquaredError, Real<Shape<4>>>();
  testing::expect_gradients<Head<Linear>, loss::MeanAbsoluteError, Real<Shape<4>>>();
  testing::expect_gradients<Head<Linear>, loss::Huber, Real<Shape<4>>>();
  testing::expect_gradients<Head<Linear>, loss::HuberLoss<std::ratio<1, 4>>, Real<Shape<4>>>();
}

TEST_CASE("Cross-entropies match finite differences in every form", "[gradient][loss]") {
  // Fused with the output activation (computed from the pre-activations).
  testing::expect_gradients<Head<Softmax>, loss::SparseCategoricalCrossentropy, ClassIndex<4>>();
  testing::expect_gradients<Head<Softmax>, loss::CategoricalCrossentropy, OneHot<4>>();
  testing::expect_gradients<BinaryHead, loss::BinaryCrossentropy, Binary>();
  // From logits after a Linear output.
  testing::expect_gradients<Head<Linear>, loss::FromLogits<loss::SparseCategoricalCrossentropy>,
                            ClassIndex<4>>();
  testing::expect_gradients<Head<Linear>, loss::FromLogits<loss::CategoricalCrossentropy>,
                            OneHot<4>>();
  testing::expect_gradients<BinaryLogitHead, loss::FromLogits<loss::BinaryCrossentropy>, Binary>();
}

// The probability forms are reached only where no fusion applies; check them on the loss itself.
template <class Loss, class L>
double loss_gradient_error(std::vector<double> y, const std::vector<L>& t) {
  const std::size_t w = y.size();
  std::vector<double> analytic(w);
  Loss::sample(y.data(), t.data(), analytic.data(), w, 1.0);
  double diff = 0, norm = 0;
  for (std::size_t i = 0; i < w; ++i) {
    const double keep = y[i], eps = 1e-7;
    y[i] = keep + eps;
    const double up = Loss::sample(y.data(), t.data(), (double*)nullptr, w, 1.0);
    y[i] = keep - eps;
    const double down = Loss::sample(y.data(), t.data(), (double*)nullptr, w, 1.0);
    y[i] = keep;
    const double numeric = (up - down) / (2 * eps);
    diff += (numeric - analytic[i]) * (numeric - analytic[i]);
    norm += analytic[i] * analytic[i];
  }
  return std::sqrt(diff / norm);
}

TEST_CASE("Probability-form cross-entropies match finite differences", "[gradient][loss]") {
  const std::vector<double> p{0.2, 0.5, 0.3}, soft{0.1, 0.7, 0.2};
  CHECK(loss_gradient_error<loss::CategoricalCrossentropy>(p, soft) < 1e-6);
  CHECK(loss_gradient_error<loss::SparseCategoricalCrossentropy>(p, std::vector<std::int32_t>{1}) <
        1e-6);
  CHECK(loss_gradient_error<loss::BinaryCrossentropy>(p, std::vector<double>{1, 0, 1}) < 1e-6);
}

TEST_CASE("Fused and unfused cross-entropy give the same loss", "[loss]") {
  std::vector<double> z{2.0, -1.0, 0.5, 0.1};
  std::vector<double> p(4);
  Cpu::softmax_forward(z.data(), p.data(), 4, 1);
  const std::int32_t label = 2;
  const double plain =
      loss::SparseCategoricalCrossentropy::sample(p.data(), &label, (double*)nullptr, 4, 1.0);
  const double fused = loss::FromLogits<loss::SparseCategoricalCrossentropy>::sample(
      z.data(), &label, (double*)nullptr, 4, 1.0);
  CHECK(plain == Approx(fused).epsilon(1e-12));
  // Stable where the probability form underflows: logits 1000 apart.
  std::vector<double> far{1000.0, 0.0};
  const std::int32_t wrong = 1;
  CHECK(loss::FromLogits<loss::SparseCategoricalCrossentropy>::sample(
            far.data(), &wrong, (double*)nullptr, 2, 1.0) == Approx(1000.0));
}

using In = Input<Shape<6, 5, 2>, double>;

TEST_CASE("Concat along channels and along height matches finite differences",
          "[gradient][branch]") {
  using Channels = Sequential<In, Conv2D<2, Kernel<1>>,
                              Concat<-1, Branch<Conv2D<3, Kernel<3>, Same, ReLU>>,
                                     Branch<Conv2D<2, Kernel<1>, Tanh>>, Branch<>>,
                              Flatten, Dense<3>>;
  testing::expect_gradients<Channels, loss::MeanSquaredError, Real<Shape<3>>>();
  using Height = Sequential<In, Conv2D<2, Kernel<1>>,
                            Concat<0, Branch<MaxPool2D<Pool<2, 1>>>, Branch<Conv2D<2, Kernel<1>>>>,
                            Flatten, Dense<3>>;
  testing::expect_gradients<Height, loss::MeanSquaredError, Real<Shape<3>>>();
}

TEST_CASE("Add and Residual match finite differences", "[gradient][branch]") {
  using Sum = Sequential<In, Conv2D<3, Kernel<1>>,
                         Add<Branch<Conv2D<4, Kernel<3>, Same, ReLU>>, Branch<Conv2D<4, Kernel<1>>>,
                             Branch<Conv2D<4, Kernel<2>, Same, Sigmoid>>>,
                         GlobalAveragePool2D, Dense<3>>;
  testing::expect_gradients<Sum, loss::MeanSquaredError, Real<Shape<3>>>();
  using Res = Sequential<Input<Shape<6>, double>, Dense<5>, Residual<Dense<7, Tanh>, Dense<5>>,
                         Residual<Dense<5, ELU<>>>, Dense<2>>;
  testing::expect_gradients<Res, loss::MeanSquaredError, Real<Shape<2>>>();
}
