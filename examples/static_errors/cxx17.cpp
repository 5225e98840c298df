// Rule: tensorguard needs C++20
// flags: -std=c++17
// expect: tensorguard needs C.+20: compile with -std=c.+20
#include <tensorguard/tensorguard.hpp>
namespace tg = tensorguard;

// Compiled as C++17 (the flags line above). Fix: compile with -std=c++20.
using Net = tg::Sequential<tg::Input<tg::Shape<4>>, tg::Dense<3, tg::Softmax>>;
int main() { tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model; }
