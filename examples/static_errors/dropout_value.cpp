// Rule: Dropout<0.5>, a Keras habit: the rate is a type, Rate<50>
// hint: R_is_a_type_e_g_Rate_50_for_0_5
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
tg::Model<tg::Sequential<tg::Input<tg::Shape<784>>, tg::Dense<128, tg::ReLU>, tg::Dropout<0.5>, tg::Dense<10, tg::Softmax>>,
          tg::loss::SparseCategoricalCrossentropy> model;  // Fix: Dropout<Rate<50>>
int main() {}
#else
tg::Model<tg::Sequential<tg::Input<tg::Shape<784>>, tg::Dense<128, tg::ReLU>, tg::Dropout<tg::Rate<50>>, tg::Dense<10, tg::Softmax>>,
          tg::loss::SparseCategoricalCrossentropy> model;
int main() {}
#endif
