// Rule: An Input element type other than float or double
// expect: at_layer<1, tensorguard::Input<tensorguard::Shape<784>, unsigned char>
// expect: input_element_type_must_be_float_or_double_but_is<unsigned char>
// expect: fix_declare_Input_Shape_float_and_convert_the_data_to_float
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
// Raw bytes of an image file: the model computes in float or double.
using Net = tg::Sequential<tg::Input<tg::Shape<784>, unsigned char>, tg::Dense<10, tg::Softmax>>;
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }  // Fix: float, pixels / 255
#else
using Net = tg::Sequential<tg::Input<tg::Shape<784>, float>, tg::Dense<10, tg::Softmax>>;
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#endif
