// Every layer and activation against finite differences (double precision). A Dense layer in
// front of the layer under test makes its input gradient part of what is checked.
#include "gradient_check.hpp"

using namespace tg;
using Mse = loss::MeanSquaredError;
template <std::size_t N>
using RealOf = Real<Shape<N>>;

template <class Act>
using DenseWith = Sequential<Input<Shape<5>, double>, Dense<4, Act>, Dense<3, Act>>;
template <class... Conv>
using ImageNet = Sequential<Input<Shape<7, 6, 2>, double>, Conv..., Flatten, Dense<3>>;

TEST_CASE("Dense with every activation matches finite differences", "[gradient][dense]") {
  testing::expect_gradients<DenseWith<Linear>, Mse, RealOf<3>>();
  testing::expect_gradients<DenseWith<ReLU>, Mse, RealOf<3>>();
  testing::expect_gradients<DenseWith<LeakyReLU<>>, Mse, RealOf<3>>();
  testing::expect_gradients<DenseWith<ELU<>>, Mse, RealOf<3>>();
  testing::expect_gradients<DenseWith<Sigmoid>, Mse, RealOf<3>>();
  testing::expect_gradients<DenseWith<Tanh>, Mse, RealOf<3>>();
  testing::expect_gradients<DenseWith<GELU>, Mse, RealOf<3>>();
  testing::expect_gradients<DenseWith<Softmax>, Mse, RealOf<3>>();
}

TEST_CASE("Activations whose derivative follows from the output run in place, the rest keep z",
          "[gradient][activation]") {
  using Relu = Dense<4, ReLU>::Layer<Shape<5>, HostTensors<double>, 2>;
  using Gelu = Dense<4, GELU>::Layer<Shape<5>, HostTensors<double>, 2>;
  STATIC_REQUIRE(Relu::cache_per_sample == 4);  // the output gradient only
  STATIC_REQUIRE(Gelu::cache_per_sample == 8);  // pre-activations too
  // A negative slope (or ELU scale) makes y > 0 for some z < 0: the derivative needs z again.
  STATIC_REQUIRE(detail::derivative_from_output<LeakyReLU<>>);
  STATIC_REQUIRE_FALSE(detail::derivative_from_output<LeakyReLU<std::ratio<-1, 2>>>);
  STATIC_REQUIRE_FALSE(detail::derivative_from_output<ELU<std::ratio<-1>>>);
  testing::expect_gradients<DenseWith<LeakyReLU<std::ratio<-1, 2>>>, Mse, RealOf<3>>();
  testing::expect_gradients<DenseWith<ELU<std::ratio<-1>>>, Mse, RealOf<3>>();
  testing::expect_gradients<ImageNet<Conv2D<3, Kernel<3>, LeakyReLU<std::ratio<-1, 2>>>>, Mse,
                            RealOf<3>>();
}

TEST_CASE("Standalone activations match finite differences", "[gradient][activation]") {
  using Net = Sequential<Input<Shape<4>, double>, Dense<6>, Activation<Tanh>, Dense<5>,
                         Activation<Softmax>, Dense<3>, Activation<ELU<std::ratio<1, 2>>>>;
  testing::expect_gradients<Net, Mse, RealOf<3>>();
}

TEST_CASE("Conv2D valid, same and strided match finite differences", "[gradient][conv]") {
  testing::expect_gradients<ImageNet<Conv2D<3, Kernel<3, 3>, ReLU>>, Mse, RealOf<3>>();
  testing::expect_gradients<ImageNet<Conv2D<3, Kernel<3, 2>, Same, Tanh>>, Mse, RealOf<3>>();
  testing::expect_gradients<ImageNet<Conv2D<2, Kernel<3>, Stride<2>, Same>>, Mse, RealOf<3>>();
  testing::expect_gradients<ImageNet<Conv2D<2, Kernel<2>, Stride<2, 1>>>, Mse, RealOf<3>>();
  // 1x1 convolutions skip im2col; the input gradient comes from a convolution in front.
  testing::expect_gradients<ImageNet<Conv2D<3, Kernel<3>, Same>, Conv2D<4, Kernel<1>, Sigmoid>>,
                            Mse, RealOf<3>>();
}

TEST_CASE("Pooling layers match finite differences", "[gradient][pool]") {
  using Front = Conv2D<3, Kernel<2>, Same>;
  // Windows that tile the image, leaving a row (7 = 3 x 2 + 1) or two columns (6 = 1 x 4 + 2)
  // uncovered; overlapping windows; padded windows.
  testing::expect_gradients<ImageNet<Front, MaxPool2D<Pool<2, 2>>>, Mse, RealOf<3>>();
  testing::expect_gradients<ImageNet<Front, MaxPool2D<Pool<2, 4>>>, Mse, RealOf<3>>();
  testing::expect_gradients<ImageNet<Front, MaxPool2D<Pool<3, 3>, Stride<2, 1>>>, Mse, RealOf<3>>();
  testing::expect_gradients<ImageNet<Front, MaxPool2D<Pool<3, 2>, Stride<2, 1>, Same>>, Mse,
                            RealOf<3>>();
  // Same padding with the extra row at the bottom only (7 rows, windows of 2): the windows tile
  // the image with stride = kernel and no padding at the top or left, yet the last one hangs
  // over the edge (the tiled backward once wrote a row past the image).
  testing::expect_gradients<ImageNet<Front, MaxPool2D<Pool<2, 2>, Same>>, Mse, RealOf<3>>();
  testing::expect_gradients<ImageNet<Front, AvgPool2D<Pool<2, 2>>>, Mse, RealOf<3>>();
  testing::expect_gradients<ImageNet<Front, AvgPool2D<Pool<3, 3>, Stride<2>, Same>>, Mse,
                            RealOf<3>>();
  using Gap = Sequential<Input<Shape<5, 4, 2>, double>, Front, GlobalAveragePool2D, Dense<3>>;
  testing::expect_gradients<Gap, Mse, RealOf<3>>();
}

TEST_CASE("Shape-only layers pass gradients through unchanged", "[gradient][reshape]") {
  using Net = Sequential<Input<Shape<12>, double>, Dense<12>, Reshape<Shape<2, 3, 2>>,
                         Conv2D<2, Kernel<2>>, Flatten, Dense<2>>;
  testing::expect_gradients<Net, Mse, RealOf<2>>();
}

TEST_CASE("Dropout is the identity at inference and passes gradients through its mask",
          "[gradient][dropout]") {
  using Net = Sequential<Input<Shape<6>, double>, Dense<8>, Dropout<Rate<1, 4>>, Dense<3>>;
  testing::expect_gradients<Net, Mse, RealOf<3>>(3, Mode::inference);

  using Layer = Dropout<Rate<1, 4>>::Layer<Shape<10000>, HostTensors<double>, 2>;
  Layer layer;
  Rng rng(3);
  InitialValues<double> none{};
  layer.initialize(none, rng);
  layer.reserve(1);
  Cpu cpu;
  std::vector<double> x(10000, 1.0), y(10000), dy(10000, 1.0), dx(10000);
  layer.forward(cpu, x.data(), y.data(), 1, Mode::training);
  layer.backward(cpu, x.data(), y.data(), dy.data(), dx.data(), 1);
  std::size_t dropped = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    dropped += y[i] == 0;
    CHECK(dx[i] == y[i]);  // same mask forward and backward
    CHECK((y[i] == 0 || y[i] == Approx(4.0 / 3.0)));
  }
  CHECK(double(dropped) / 10000 == Approx(0.25).margin(0.02));
}

TEST_CASE("BatchNormalization matches finite differences over batch statistics",
          "[gradient][batchnorm]") {
  using Dense1 = Sequential<Input<Shape<5>, double>, Dense<4>, BatchNormalization, Dense<3, Tanh>>;
  testing::expect_gradients<Dense1, Mse, RealOf<3>>(6);
  testing::expect_gradients<ImageNet<Conv2D<3, Kernel<3>>, BatchNormalization>, Mse, RealOf<3>>(4);
}
