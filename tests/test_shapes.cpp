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

// Verdicts pinned: each mistake's facts and a fix that compiles (docs/errors.md). A fix named
// here is applied in examples/static_errors' twins, which CTest compiles.
namespace verdicts {
template <class First, class... L>
using model_verdict = detail::model_verdict_t<First, L...>;
template <class Net, class Loss, class D>
using data_verdict = detail::data_verdict_t<Net, Loss, D>;
template <class V, class Fact>
inline constexpr bool ends_with = false;
template <class... F, class Fact>
inline constexpr bool ends_with<model_error<F...>, Fact> =
    std::is_same_v<typename decltype((std::type_identity<F>{}, ...))::type, Fact>;

// Valid models that used to be refused: multi-label and [0, 1] targets with binary cross-entropy.
using MultiLabel = Sequential<Input<Shape<8>>, Dense<16, ReLU>, Dense<3, Sigmoid>>;
static_assert(detail::is_passed<
              data_verdict<MultiLabel, loss::BinaryCrossentropy, Dataset<Shape<8>, MultiHot<3>>>>);
using Autoencoder = Sequential<Input<Shape<784>>, Dense<32, ReLU>, Dense<784, Sigmoid>>;
static_assert(detail::is_passed<data_verdict<Autoencoder, loss::BinaryCrossentropy,
                                             Dataset<Shape<784>, Probability<Shape<784>>>>>);
static_assert(detail::is_passed<data_verdict<Autoencoder, loss::MeanSquaredError,
                                             Dataset<Shape<784>, Probability<Shape<784>>>>>);
using Soft = Sequential<Input<Shape<8>>, Dense<3, Softmax>>;
static_assert(detail::is_passed<data_verdict<Soft, loss::CategoricalCrossentropy,
                                             Dataset<Shape<8>, Probability<Shape<3>>>>>);
// Multi-hot labels on a categorical loss: binary cross-entropy after a Sigmoid layer of K units.
static_assert(
    ends_with<data_verdict<Soft, loss::CategoricalCrossentropy, Dataset<Shape<8>, MultiHot<3>>>,
              fix_use_the_loss_after<loss::BinaryCrossentropy, Dense<3, Sigmoid>>>);

// Duplicate options and zero input dimensions are mistakes.
static_assert(std::is_same_v<model_verdict<Input<Shape<8, 8, 1>>, Conv2D<4, Kernel<3>, ReLU, Tanh>>,
                             model_error<at_layer<2, Conv2D<4, Kernel<3>, ReLU, Tanh>>,
                                         option_given_twice<ReLU, Tanh>, fix_keep_one_of_them>>);
static_assert(ends_with<model_verdict<Input<Shape<4>>, Dense<2, ReLU, Stride<2>>>,
                        fix_Dense_takes_units_and_an_activation>);
static_assert(
    std::is_same_v<model_verdict<Input<Shape<0, 64, 1>>, Flatten>,
                   model_error<at_layer<1, Input<Shape<0, 64, 1>>>,
                               input_dimensions_must_be_positive_but_gets<Shape<0, 64, 1>>,
                               fix_give_each_axis_its_size_e_g_Shape_28_28_1>>);
static_assert(ends_with<model_verdict<Input<Shape<4>, int>, Dense<2>>,
                        fix_declare_Input_Shape_float_and_convert_the_data_to_float>);

// A rank error's fix depends on the layer before it.
static_assert(ends_with<model_verdict<Input<Shape<28, 28, 1>>, Flatten, Conv2D<4, Kernel<3>>>,
                        fix_move_this_Flatten_after_the_image_layers<at_layer<2, Flatten>>>);
static_assert(ends_with<model_verdict<Input<Shape<100>>, Dense<784>, Conv2D<4, Kernel<3>>>,
                        fix_insert_before_it<Reshape<Shape<28, 28, 1>>>>);
static_assert(ends_with<model_verdict<Input<Shape<9, 9, 1>>, Conv2D<2, Kernel<3>>, Flatten,
                                      GlobalAveragePool2D>,
                        fix_remove_this_Flatten<at_layer<3, Flatten>>>);
static_assert(ends_with<model_verdict<Input<Shape<28, 28>>, MaxPool2D<Pool<2>>>,
                        fix_insert_before_it<Reshape<Shape<28, 28, 1>>>>);
// The suggested fixes themselves compile.
static_assert(Sequential<Input<Shape<100>>, Dense<784>, Reshape<Shape<28, 28, 1>>,
                         Conv2D<4, Kernel<3>>>::valid);

// Loss suggestions that compile with the output the model has.
using OneUnit = Sequential<Input<Shape<8>>, Dense<1, Sigmoid>>;
static_assert(ends_with<data_verdict<OneUnit, loss::MeanSquaredError, Dataset<Shape<8>, Binary>>,
                        fix_use_the_loss<loss::BinaryCrossentropy>>);
static_assert(ends_with<data_verdict<Soft, loss::Huber, Dataset<Shape<8>, OneHot<3>>>,
                        fix_use_the_loss<loss::CategoricalCrossentropy>>);
using Logits = Sequential<Input<Shape<8>>, Dense<3>>;
static_assert(ends_with<data_verdict<Logits, loss::FromLogits<loss::SparseCategoricalCrossentropy>,
                                     Dataset<Shape<8>, OneHot<3>>>,
                        fix_use_the_loss<loss::FromLogits<loss::CategoricalCrossentropy>>>);
static_assert(
    ends_with<data_verdict<Soft, loss::SparseCategoricalCrossentropy, Dataset<Shape<8>, Binary>>,
              fix_use_the_loss_after<loss::BinaryCrossentropy, Dense<1, Sigmoid>>>);
// Width mismatches name the output layer and one value per target.
static_assert(
    std::is_same_v<data_verdict<Logits, loss::MeanSquaredError, Dataset<Shape<8>, Real<Shape<2>>>>,
                   model_error<at_layer<2, Dense<3>>,
                               labels_do_not_match_the_model_output<Real<Shape<2>>, Shape<3>>,
                               fix_make_the_last_layer<Dense<2>>>>);

// Merges: bare layers, projections, the channel axis; Reshape's element count.
static_assert(ends_with<model_verdict<Input<Shape<4>>, Add<Dense<4>, Branch<Dense<4>>>>,
                        fix_wrap_each_path_in_Branch_e_g<Branch<Dense<4>>>>);
static_assert(ends_with<model_verdict<Input<Shape<8, 8, 4>>, Residual<Conv2D<8, Kernel<3>, Same>>>,
                        fix_end_the_residual_layers_with<Conv2D<4, Kernel<1>>>>);
static_assert(ends_with<model_verdict<Input<Shape<8>>, Add<Branch<Dense<4>>, Branch<Dense<2>>>>,
                        fix_end_path_with<2, Dense<4>>>);
static_assert(
    ends_with<model_verdict<Input<Shape<8, 8, 4>>,
                            Concat<0, Branch<Conv2D<8, Kernel<1>>>, Branch<Conv2D<2, Kernel<1>>>>>,
              fix_concatenate_channels_with_axis_minus_1_axes_are_H_W_C>);
static_assert(ends_with<model_verdict<Input<Shape<784>>, Reshape<Shape<28, 27, 1>>>,
                        fix_keep_the_element_count_e_g<Shape<28, 28, 1>>>);
// Found by an audit written from the docs alone: fixes that kept the width, a rank fix inside a
// Residual, a decoder's Reshape, a loss after a layer without activation, image outputs.
template <class Net, class Loss>
using loss_verdict = detail::verdict_of<detail::loss_verdict<Net, Loss>()>;
static_assert(ends_with<loss_verdict<Sequential<Input<Shape<8>>, Dense<5, Softmax>>,
                                     loss::BinaryCrossentropy>,
                        fix_make_the_last_layer<Dense<5, Sigmoid>>>);
static_assert(ends_with<loss_verdict<Sequential<Input<Shape<8>>, Dense<2, Softmax>>,
                                     loss::BinaryCrossentropy>,
                        fix_make_the_last_layer<Dense<1, Sigmoid>>>);
static_assert(
    std::is_same_v<
        loss_verdict<Sequential<Input<Shape<8>>, Dense<3, Softmax>, BatchNormalization>,
                     loss::SparseCategoricalCrossentropy>,
        model_error<with_loss<loss::SparseCategoricalCrossentropy>, at_layer<3, BatchNormalization>,
                    probability_loss_on_an_output_without_activation<BatchNormalization>,
                    fix_append<Activation<Softmax>>>>);
static_assert(
    std::is_same_v<
        model_verdict<Input<Shape<16, 16, 8>>, Residual<Conv2D<8, Kernel<3>, Same>, Dense<8>>>,
        model_error<at_layer<2, Residual<Conv2D<8, Kernel<3>, Same>, Dense<8>>>,
                    in_the_residual_layers, at_layer<2, Dense<8>>,
                    needs_rank_1_input_but_gets<Shape<16, 16, 8>>,
                    fix_for_a_Dense_on_each_pixel_use<Conv2D<8, Kernel<1>>>>>);
static_assert(ends_with<model_verdict<Input<Shape<16, 16, 8>>,
                                      Residual<Conv2D<8, Kernel<3>, Same, Stride<2>>>>,
                        fix_use_Stride_1_and_Same_padding_in_the_residual_layers>);
static_assert(ends_with<model_verdict<Input<Shape<8>>, Dense<128, ReLU>, Reshape<Shape<7, 7, 4>>>,
                        fix_make_the_layer_before_it<Dense<196, ReLU>>>);
static_assert(ends_with<model_verdict<Input<Shape<128>>, Reshape<Shape<7, 7, 4>>>,
                        fix_keep_the_element_count_e_g<Shape<8, 8, 2>>>);
using Decoder = Sequential<Input<Shape<8>>, Dense<64>, Reshape<Shape<8, 8, 1>>,
                           Conv2D<1, Kernel<3>, Same, Sigmoid>>;
static_assert(ends_with<data_verdict<Decoder, loss::MeanSquaredError,
                                     Dataset<Shape<8>, Real<Shape<7, 7, 1>>>>,
                        fix_make_the_output_shape<Shape<7, 7, 1>>>);
}  // namespace verdicts
