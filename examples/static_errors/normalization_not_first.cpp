// Rule: Normalization scales the model's raw input, so it comes right after Input
// expect: at_layer<3, tensorguard::Normalization>
// expect: must_be_the_models_first_layer_it_works_on_the_raw_input, tensorguard::fix_move_it_right_after_Input
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<13>>, tg::Dense<32, tg::ReLU>, tg::Normalization, tg::Dense<1>>;
// Fix: Input<Shape<13>>, Normalization, Dense<32, ReLU>, Dense<1>.
#else
using Net = tg::Sequential<tg::Input<tg::Shape<13>>, tg::Normalization, tg::Dense<32, tg::ReLU>, tg::Dense<1>>;
#endif
int main() {
  tg::Model<Net, tg::loss::MeanSquaredError> model;
  tg::Dataset<tg::Shape<13>, tg::Real<tg::Shape<1>>> train;
  model.adapt(train);
}
