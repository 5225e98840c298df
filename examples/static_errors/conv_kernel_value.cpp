// Rule: Conv2D<32, 3>, a Keras habit: the kernel is a type, Kernel<3>
// hint: Options_are_types_e_g_Kernel_3
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
tg::Model<tg::Sequential<tg::Input<tg::Shape<28, 28, 1>>, tg::Conv2D<32, 3>, tg::Flatten, tg::Dense<10, tg::Softmax>>,
          tg::loss::SparseCategoricalCrossentropy> model;  // Fix: Conv2D<32, Kernel<3>>
int main() {}
#else
tg::Model<tg::Sequential<tg::Input<tg::Shape<28, 28, 1>>, tg::Conv2D<32, tg::Kernel<3>>, tg::Flatten, tg::Dense<10, tg::Softmax>>,
          tg::loss::SparseCategoricalCrossentropy> model;
int main() {}
#endif
