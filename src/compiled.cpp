// tensorguard::compiled: the library's compiled part (include/tensorguard/compiled.hpp).
#include <tensorguard/compiled.hpp>
