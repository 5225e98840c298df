// tensorguard: neural networks as C++20 types. Include this header for everything.
#pragma once

#include "detail/require_cxx20.hpp"

// clang-format off
// First, so that a model error's include trace is one line deep (docs/errors.md).
#include "model/sequential.hpp"
#include "model/model.hpp"
#include "model/memory_budget.hpp"
#include "backend/checked_device.hpp"
// clang-format on

#include "activations/elu.hpp"
#include "activations/gelu.hpp"
#include "activations/leaky_relu.hpp"
#include "activations/linear.hpp"
#include "activations/relu.hpp"
#include "activations/sigmoid.hpp"
#include "activations/softmax.hpp"
#include "activations/tanh.hpp"
#include "core/buffer.hpp"
#include "core/random.hpp"
#include "core/shape.hpp"
#include "data/csv.hpp"
#include "data/dataset.hpp"
#include "data/fashion_mnist.hpp"
#include "data/idx.hpp"
#include "data/scaler.hpp"
#include "graph/add.hpp"
#include "graph/branch.hpp"
#include "graph/concat.hpp"
#include "graph/residual.hpp"
#include "layers/activation.hpp"
#include "layers/avg_pool2d.hpp"
#include "layers/batch_normalization.hpp"
#include "layers/conv2d.hpp"
#include "layers/dense.hpp"
#include "layers/dropout.hpp"
#include "layers/global_average_pool2d.hpp"
#include "layers/input.hpp"
#include "layers/max_pool2d.hpp"
#include "layers/normalization.hpp"
#include "layers/reshape.hpp"
#include "losses/binary_crossentropy.hpp"
#include "losses/categorical_crossentropy.hpp"
#include "losses/huber.hpp"
#include "losses/mean_absolute_error.hpp"
#include "losses/mean_squared_error.hpp"
#include "losses/sparse_categorical_crossentropy.hpp"
#include "optim/optimizer.hpp"
#include "training/schedules.hpp"

namespace tensorguard {
// Keras-style spellings: tg::data::fashion_mnist(), tg::loss::..., tg::optim::...
}  // namespace tensorguard
