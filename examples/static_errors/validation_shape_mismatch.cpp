// Rule: Validation data of another shape than the training data
// expect: validation_input_shape_differs_from_training<tensorguard::Shape<4>, tensorguard::Shape<5>
// expect: fix_give_validation_data_of_the_training_type<tensorguard::Dataset<tensorguard::Shape<4>
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<4>>, tg::Dense<3, tg::Softmax>>;
int main() {
  tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model;
  tg::Dataset<tg::Shape<4>, tg::ClassIndex<3>> train;
  tg::Dataset<tg::Shape<5>, tg::ClassIndex<3>> held_out;  // one column too many
  model.fit(train, {.epochs = 5, .validation = held_out});  // Fix: the training data's type
}
#else
using Net = tg::Sequential<tg::Input<tg::Shape<4>>, tg::Dense<3, tg::Softmax>>;
int main() {
  tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model;
  tg::Dataset<tg::Shape<4>, tg::ClassIndex<3>> train;
  tg::Dataset<tg::Shape<4>, tg::ClassIndex<3>> held_out;
  model.fit(train, {.epochs = 5, .validation = held_out});
}
#endif
