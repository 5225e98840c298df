// Rule: A Dense layer feeding a convolution (a decoder without its Reshape)
// expect: at_layer<3, tensorguard::Conv2D<
// expect: needs_rank_3_input_height_width_channels_but_gets<tensorguard::Shape<784>
// expect: fix_insert_before_it<tensorguard::Reshape<tensorguard::Shape<28, 28, 1>
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<16>>, tg::Dense<784, tg::ReLU>, tg::Conv2D<1, tg::Kernel<3>, tg::Same, tg::Sigmoid>>;
int main() { tg::Model<Net, tg::loss::MeanSquaredError> model; }  // Fix: Reshape<Shape<28, 28, 1>> before it
#else
using Net = tg::Sequential<tg::Input<tg::Shape<16>>, tg::Dense<784, tg::ReLU>, tg::Reshape<tg::Shape<28, 28, 1>>,
                           tg::Conv2D<1, tg::Kernel<3>, tg::Same, tg::Sigmoid>>;
int main() { tg::Model<Net, tg::loss::MeanSquaredError> model; }
#endif
