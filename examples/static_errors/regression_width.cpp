// Rule: Regression targets of another width than the output layer
// expect: at_layer<3, tensorguard::Dense<2>
// expect: labels_do_not_match_the_model_output<tensorguard::Real<tensorguard::Shape<3>
// expect: fix_make_the_last_layer<tensorguard::Dense<3>
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<8>>, tg::Dense<16, tg::ReLU>, tg::Dense<2>>;
int main() {
  tg::Model<Net, tg::loss::MeanSquaredError> model;
  tg::Dataset<tg::Shape<8>, tg::Real<tg::Shape<3>>> targets;  // three targets per sample
  model.fit(targets);  // Fix: Dense<3>
}
#else
using Net = tg::Sequential<tg::Input<tg::Shape<8>>, tg::Dense<16, tg::ReLU>, tg::Dense<3>>;
int main() {
  tg::Model<Net, tg::loss::MeanSquaredError> model;
  tg::Dataset<tg::Shape<8>, tg::Real<tg::Shape<3>>> targets;
  model.fit(targets);
}
#endif
