// double data into a float model: refused, never silently converted.
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;
using Net = tg::Sequential<tg::Input<tg::Shape<4>>, tg::Dense<3, tg::Softmax>>;
int main() {
  tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model;
  tg::Dataset<tg::Shape<4>, tg::ClassIndex<3>, double> data;
  model.fit(data);
}
