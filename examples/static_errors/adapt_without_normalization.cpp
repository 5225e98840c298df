// Rule: adapt sets a Normalization layer's statistics; a model without one has nothing to adapt
// expect: adapt: the model's first layer is not tg::Normalization
// expect: fix: add tg::Normalization right after Input
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<13>>, tg::Dense<32, tg::ReLU>, tg::Dense<1>>;
// Fix: Input<Shape<13>>, Normalization, Dense<32, ReLU>, Dense<1>.
#else
using Net = tg::Sequential<tg::Input<tg::Shape<13>>, tg::Normalization, tg::Dense<32, tg::ReLU>, tg::Dense<1>>;
#endif
int main() {
  tg::Model<Net, tg::loss::MeanSquaredError> model;
  tg::Dataset<tg::Shape<13>, tg::Real<tg::Shape<1>>> train;
  model.adapt(train);
}
