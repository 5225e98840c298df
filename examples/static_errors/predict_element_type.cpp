// Rule: predict with values of another element type (never converted silently)
// expect: predict_inputs_have_element_type_but_the_model_takes<double, float>
// expect: fix_pass_values_of_the_model_type_e_g<std::vector<float
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<4>>, tg::Dense<3, tg::Softmax>>;
int main() {
  tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model;
  std::vector<double> sample{5.1, 3.5, 1.4, 0.2};
  auto scores = model.predict(sample);  // Fix: std::vector<float>
}
#else
using Net = tg::Sequential<tg::Input<tg::Shape<4>>, tg::Dense<3, tg::Softmax>>;
int main() {
  tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model;
  std::vector<float> sample{5.1f, 3.5f, 1.4f, 0.2f};
  auto scores = model.predict(sample);
}
#endif
