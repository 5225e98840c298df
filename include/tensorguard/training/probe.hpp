// TrainingProbe: the statistics the training guards judge, computed by backend reductions into
// the probe's slots of the step record (never by host reads of device memory), and handed to
// the TrainingMonitor once the record is read back.
// Slots: the sums of squares of the first and last parameterised layers' gradients, the weight
// change and weight size of the last sampled update, then per watched layer a flag per ReLU unit
// or one saturated-output count.
#pragma once
#include <cmath>
#include <cstddef>
#include <string>
#include <type_traits>
#include <vector>

#include "../activations/relu.hpp"
#include "../activations/sigmoid.hpp"
#include "../activations/tanh.hpp"
#include "../detail/layer.hpp"
#include "../guards/training_guards.hpp"

namespace tensorguard::detail {

template <class Body, class Backend, class T>
class TrainingProbe {
  using Memory = typename Backend::memory;
  using P = typename Memory::template pointer<T>;
  using CP = typename Memory::template pointer<const T>;
  using RecordPtr = typename Memory::template pointer<double>;
  enum : std::size_t { grad_first, grad_last, update_change, update_size, fixed_slots };

  template <class A>
  static constexpr WatchedActivation watched =
      std::is_same_v<A, ReLU>      ? WatchedActivation::relu
      : std::is_same_v<A, Sigmoid> ? WatchedActivation::sigmoid
      : std::is_same_v<A, Tanh>    ? WatchedActivation::tanh
                                   : WatchedActivation::none;

 public:
  // Lays out the slots from the model's layer records; sizes the weight copy.
  // output_fused: the last layer's Sigmoid/Softmax is fused with its cross-entropy, whose
  // gradient p - t does not vanish when the output saturates: that layer is not watched.
  void prepare(const std::vector<LayerRecord>& records, std::size_t parameter_count,
               const Body& body, bool output_fused) {
    if (prepared_) return;
    prepared_ = true;
    std::size_t offset = 0;
    for (const auto& r : records) {
      if (r.container || r.parameters == 0) continue;
      slices_.push_back({offset, r.parameters, "layer " + r.path + " (" + r.kind + ")"});
      offset += r.parameters;
    }
    std::vector<std::string> names;
    for (const auto& r : records)
      if (r.depth == 0) names.push_back("layer " + r.path + " (" + r.kind + ")");
    std::size_t slot = fixed_slots;
    body.visit_outputs(
        CP{}, CP{},
        [&](std::size_t layer, auto activation, CP, std::size_t per_sample, std::size_t last) {
          constexpr auto kind = watched<typename decltype(activation)::type>;
          if (output_fused && layer + 1 == Body::layer_count) return;
          if constexpr (kind != WatchedActivation::none) {
            layers_.push_back({layer, names[layer], kind, slot, per_sample, last});
            slot += kind == WatchedActivation::relu ? last : 1;
          }
        });
    slots_ = slot;
    previous_.resize(parameter_count);
    parameter_count_ = parameter_count;
  }
  std::size_t slots() const { return slots_; }

  // A sampled step's gradients (after the parts are summed).
  void gradients(Backend& backend, CP grads, RecordPtr record) {
    if (slices_.empty()) return;
    backend.sum_squares(grads + slices_.front().offset, slices_.front().count, record + grad_first);
    backend.sum_squares(grads + slices_.back().offset, slices_.back().count, record + grad_last);
    gradients_measured_ = true;
  }
  // One micro-batch of part 0's outputs on a sampled step.
  void activations(Backend& backend, const Body& body, CP x, CP y, std::size_t n,
                   RecordPtr record) {
    body.visit_outputs(
        x, y,
        [&](std::size_t layer, auto activation, CP out, std::size_t per_sample, std::size_t last) {
          constexpr auto kind = watched<typename decltype(activation)::type>;
          if constexpr (kind != WatchedActivation::none) {
            const Watched* w = find(layer);
            if (!w) return;  // not watched (a fused output)
            if constexpr (kind == WatchedActivation::relu) {
              backend.mark_active(out, n * per_sample, last, record + w->slot);
            } else {
              const auto [lo, hi] = TrainingMonitor::saturation_bounds(kind);
              backend.count_outside(out, n * per_sample, T(lo), T(hi), record + w->slot);
            }
          }
        });
    counted_ += n;
  }
  // Before a sampled update: a device copy of the weights. The change is measured with the
  // next step's record (measure_update), so each step still reads the record once.
  void before_update(Backend& backend, CP params) {
    backend.copy(params, previous_.data(), parameter_count_);
    update_pending_ = true;
  }
  void measure_update(Backend& backend, CP params, RecordPtr record) {
    if (!update_pending_) return;
    backend.sum_squared_difference(params, CP(previous_.data()), parameter_count_,
                                   record + update_change);
    backend.sum_squares(CP(previous_.data()), parameter_count_, record + update_size);
    update_measured_ = true;
    update_pending_ = false;
  }

  // Hands what the record holds to the monitor, then forgets it.
  void judge(const double* record, TrainingMonitor& monitor, std::size_t epoch, std::size_t step) {
    if (update_measured_) {
      const double size = record[update_size];
      monitor.update_ratio(size > 0 ? std::sqrt(record[update_change] / size) : 0.0);
    }
    if (gradients_measured_)
      monitor.gradients(epoch, step, std::sqrt(record[grad_first] / double(slices_.front().count)),
                        std::sqrt(record[grad_last] / double(slices_.back().count)),
                        slices_.front().name, slices_.back().name);
    if (counted_)
      for (const auto& w : layers_)
        monitor.activations(w.layer, w.name, w.kind, record + w.slot, counted_ * w.per_sample,
                            w.last);
    update_measured_ = gradients_measured_ = false;
    counted_ = 0;
  }

 private:
  struct Slice {
    std::size_t offset, count;
    std::string name;
  };
  struct Watched {
    std::size_t layer;
    std::string name;
    WatchedActivation kind;
    std::size_t slot, per_sample, last;
  };
  const Watched* find(std::size_t layer) const {
    for (const auto& w : layers_)
      if (w.layer == layer) return &w;
    return nullptr;
  }

  bool prepared_ = false;
  std::vector<Slice> slices_;
  std::vector<Watched> layers_;
  std::size_t slots_ = fixed_slots, parameter_count_ = 0, counted_ = 0;
  typename Memory::template buffer<T> previous_;
  bool update_pending_ = false, update_measured_ = false, gradients_measured_ = false;
};

}  // namespace tensorguard::detail
