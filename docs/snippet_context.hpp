// The names the guide's code fragments share (tests compile every ```cpp block of docs/ and
// README.md: cmake/docs_snippets.cmake). A fragment is the body of a function after this file.
#pragma once
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <span>
#include <string>
#include <tensorguard/tensorguard.hpp>
#include <vector>

namespace tg = tensorguard;

// Fashion-MNIST's shapes: what most fragments train.
using Net = tg::Sequential<tg::Input<tg::Shape<28, 28, 1>>, tg::Conv2D<32, tg::Kernel<3>, tg::ReLU>,
                           tg::MaxPool2D<tg::Pool<2>>, tg::Flatten, tg::Dense<10, tg::Softmax>>;
using Images = tg::Dataset<tg::Shape<28, 28, 1>, tg::ClassIndex<10>>;
inline Images train, test, val;
inline tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model;
inline std::vector<float> rows;  // raw samples, 784 values each
