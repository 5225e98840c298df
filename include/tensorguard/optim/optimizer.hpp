// Optimizer: one of the optimizer settings plus its state, stepping a flat parameter array
// through the backend's update ops.
#pragma once
#include <cstddef>
#include <string>
#include <variant>

#include "../core/buffer.hpp"
#include "adam.hpp"
#include "adamw.hpp"
#include "rmsprop.hpp"
#include "sgd.hpp"

namespace tensorguard::optim {

using Settings = std::variant<Adam, SGD, AdamW, RMSProp>;

template <class T>
class Optimizer {
 public:
  Optimizer(Settings settings = Adam{}) : settings_(settings) {}

  void reserve(std::size_t parameters) {
    for (auto& s : state_) {
      s.resize(parameters);
      s.fill(T(0));
    }
    step_ = 0;
  }

  template <class B>
  void step(B& backend, T* params, const T* grads, std::size_t n) {
    ++step_;
    std::visit([&](const auto& s) { apply(backend, s, params, grads, n); }, settings_);
  }

  double learning_rate() const {
    return std::visit([](const auto& s) { return s.learning_rate; }, settings_);
  }
  void set_learning_rate(double lr) {
    std::visit([&](auto& s) { s.learning_rate = lr; }, settings_);
  }
  std::string name() const {
    return std::visit([](const auto& s) { return std::string(s.name); }, settings_);
  }
  long steps() const { return step_; }
  const Settings& settings() const { return settings_; }

 private:
  template <class B>
  void apply(B& backend, const SGD& s, T* p, const T* g, std::size_t n) {
    backend.sgd(p, g, state_[0].data(), n, T(s.learning_rate), T(s.momentum), s.nesterov);
  }
  template <class B>
  void apply(B& backend, const Adam& s, T* p, const T* g, std::size_t n) {
    backend.adam(p, g, state_[0].data(), state_[1].data(), n, T(s.learning_rate), T(s.beta1),
                 T(s.beta2), T(s.epsilon), step_, T(0));
  }
  template <class B>
  void apply(B& backend, const AdamW& s, T* p, const T* g, std::size_t n) {
    backend.adam(p, g, state_[0].data(), state_[1].data(), n, T(s.learning_rate), T(s.beta1),
                 T(s.beta2), T(s.epsilon), step_, T(s.weight_decay));
  }
  template <class B>
  void apply(B& backend, const RMSProp& s, T* p, const T* g, std::size_t n) {
    backend.rmsprop(p, g, state_[0].data(), state_[1].data(), n, T(s.learning_rate), T(s.rho),
                    T(s.momentum), T(s.epsilon));
  }

  Settings settings_;
  Buffer<T> state_[2];
  long step_ = 0;
};

}  // namespace tensorguard::optim
