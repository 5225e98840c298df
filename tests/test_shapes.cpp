// Shape rules pinned at compile time: if any of these changes, this file stops compiling.
#include <catch2/catch.hpp>
#include <tensorguard/tensorguard.hpp>

using namespace tensorguard;

template <class Spec, class In>
using out = typename Spec::template Layer<In, tensorguard::HostTensors<float>, 2>::output_shape;

// Shape constants.
static_assert(Shape<28, 28, 1>::rank == 3 && Shape<28, 28, 1>::size == 784);
static_assert(Shape<4, 5, 6>::strides == std::array<std::size_t, 3>{30, 6, 1});

// Conv2D: valid keeps floor((in - k) / s) + 1, same keeps ceil(in / s); odd sizes, stride 2.
static_assert(std::is_same_v<out<Conv2D<8, Kernel<3>>, Shape<28, 28, 1>>, Shape<26, 26, 8>>);
static_assert(std::is_same_v<out<Conv2D<8, Kernel<3>, Same>, Shape<28, 28, 1>>, Shape<28, 28, 8>>);
static_assert(std::is_same_v<out<Conv2D<4, Kernel<3>, Stride<2>>, Shape<7, 9, 3>>, Shape<3, 4, 4>>);
static_assert(
    std::is_same_v<out<Conv2D<4, Kernel<3>, Stride<2>, Same>, Shape<7, 9, 3>>, Shape<4, 5, 4>>);
static_assert(
    std::is_same_v<out<Conv2D<4, Kernel<2, 3>, Stride<1, 2>>, Shape<5, 5, 1>>, Shape<4, 2, 4>>);
static_assert(
    std::is_same_v<out<Conv2D<2, Kernel<5>, Same, Stride<3>>, Shape<11, 10, 1>>, Shape<4, 4, 2>>);

// Pooling: the stride defaults to the window; odd sizes drop the last row/column when valid.
static_assert(std::is_same_v<out<MaxPool2D<Pool<2>>, Shape<13, 13, 32>>, Shape<6, 6, 32>>);
static_assert(std::is_same_v<out<MaxPool2D<Pool<2>, Same>, Shape<13, 13, 32>>, Shape<7, 7, 32>>);
static_assert(std::is_same_v<out<AvgPool2D<Pool<3>, Stride<2>>, Shape<7, 8, 2>>, Shape<3, 3, 2>>);
static_assert(
    std::is_same_v<out<AvgPool2D<Pool<3, 2>, Stride<1>, Same>, Shape<7, 8, 2>>, Shape<7, 8, 2>>);
static_assert(std::is_same_v<out<GlobalAveragePool2D, Shape<7, 8, 5>>, Shape<5>>);

// Shape-only layers.
static_assert(std::is_same_v<out<Flatten, Shape<13, 13, 32>>, Shape<5408>>);
static_assert(std::is_same_v<out<Reshape<Shape<7, 7, 16>>, Shape<784>>, Shape<7, 7, 16>>);
static_assert(std::is_same_v<out<Dense<10, Softmax>, Shape<5408>>, Shape<10>>);
static_assert(std::is_same_v<out<Dropout<Rate<1, 2>>, Shape<3, 3>>, Shape<3, 3>>);
static_assert(std::is_same_v<out<BatchNormalization, Shape<6, 6, 4>>, Shape<6, 6, 4>>);

// Merges.
using Inception = Concat<-1, Branch<Conv2D<8, Kernel<1>>>, Branch<Conv2D<4, Kernel<3>, Same>>,
                         Branch<MaxPool2D<Pool<3>, Stride<1>, Same>>>;
static_assert(std::is_same_v<out<Inception, Shape<9, 9, 3>>, Shape<9, 9, 15>>);
static_assert(std::is_same_v<out<Concat<0, Branch<>, Branch<>>, Shape<2, 3, 4>>, Shape<4, 3, 4>>);
static_assert(std::is_same_v<out<Residual<Dense<8, ReLU>, Dense<5>>, Shape<5>>, Shape<5>>);
static_assert(
    std::is_same_v<out<Add<Branch<Dense<3>>, Branch<Dense<3, Tanh>>>, Shape<9>>, Shape<3>>);

// Whole models and their constexpr facts.
using Cnn = Sequential<Input<Shape<28, 28, 1>>, Conv2D<32, Kernel<3, 3>, ReLU>,
                       MaxPool2D<Pool<2, 2>>, Flatten, Dense<10, Softmax>>;
static_assert(std::is_same_v<Cnn::output_shape, Shape<10>>);
static_assert(Cnn::parameter_count == 32 * 9 + 32 + 5408 * 10 + 10);
static_assert(std::is_same_v<Cnn::output_activation, Softmax>);
using Mlp = Sequential<Input<Shape<784>, double>, Dense<128, ReLU>, Dense<10>>;
static_assert(Mlp::parameter_count == 784 * 128 + 128 + 1290);
static_assert(std::is_same_v<Mlp::scalar, double>);
static_assert(Mlp::flops_per_sample >= 2.0 * (784 * 128 + 128 * 10));

TEST_CASE("Shape rules hold (checked at compile time by this file's static_asserts)", "[shape]") {
  CHECK(Shape<28, 28, 1>::to_string() == "Shape<28, 28, 1>");
  CHECK(Cnn::activation_bytes_per_sample > 0);
}

TEST_CASE("TensorFlow's same padding puts the odd extra pixel after", "[shape]") {
  constexpr auto g = make_window_geometry(7, 7, 1, 4, 4, 1, 1, Padding::same);
  STATIC_REQUIRE(g.out_h == 7);
  STATIC_REQUIRE(g.pad_top == 1);  // 3 pixels of padding: 1 before, 2 after
  constexpr auto s2 = make_window_geometry(8, 8, 1, 3, 3, 2, 2, Padding::same);
  STATIC_REQUIRE(s2.out_h == 4);
  STATIC_REQUIRE(s2.pad_top == 0);  // needs 9 = 8 + 1: none before, 1 after
}
