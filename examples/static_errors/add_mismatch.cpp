// Rule: Add needs branches of identical shape
// expect: at_layer<3, tensorguard::Add<
// expect: add_needs_branches_of_identical_shape<tensorguard::Shape<64>, tensorguard::Shape<32>
// expect: fix_end_path_with<2, tensorguard::Dense<64>
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

#ifndef TG_FIXED
using Net = tg::Sequential<tg::Input<tg::Shape<784>>, tg::Dense<128, tg::ReLU>, tg::Add<tg::Branch<tg::Dense<64, tg::ReLU>>, tg::Branch<tg::Dense<32, tg::ReLU>>>, tg::Dense<10, tg::Softmax>>;
// Fix: end path 2 with Dense<64>.
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#else
using Net = tg::Sequential<tg::Input<tg::Shape<784>>, tg::Dense<128, tg::ReLU>, tg::Add<tg::Branch<tg::Dense<64, tg::ReLU>>, tg::Branch<tg::Dense<32, tg::ReLU>, tg::Dense<64>>>, tg::Dense<10, tg::Softmax>>;
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
#endif
