// BatchRunner: takes a batch from the host to the backend and through the network. It owns the
// batch's device buffers (inputs and labels in one block, outputs, output gradients), the step
// record that reductions write into, and how a batch is split: the backend supplies the
// strategy (the CPU: threads, each on a replica of the layer buffers, and micro-batches that fit
// its cache; a device: the whole batch at once).
#pragma once
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <numeric>
#include <span>
#include <type_traits>
#include <vector>

#include "../backend/memory.hpp"
#include "../core/random.hpp"
#include "../data/labels.hpp"
#include "../detail/layer.hpp"
#include "../detail/part_sync.hpp"

namespace tensorguard::detail {

// Pointer to U at byte offset `at` of a byte block, host or device.
template <class U>
U* view_as(unsigned char* p, std::size_t at) {
  return reinterpret_cast<U*>(p + at);
}
template <class U>
DevicePtr<U> view_as(DevicePtr<unsigned char> p, std::size_t at) {
  return DevicePtr<U>(reinterpret_cast<U*>(p.unsafe_address() + at));
}

// The label type of unlabelled passes (predict).
struct NoLabels {
  template <class T>
  using value_type = T;
  static constexpr std::size_t width = 0;
};

// Body: the network bound to the backend's memory; Loss: the loss as computed, from the body's
// logits when Fused (a cross-entropy fused with the output's Softmax/Sigmoid).
template <class Body, class Loss, bool Fused, class Backend, class T>
class BatchRunner {
 public:
  using Memory = typename Backend::memory;
  using M = Tensors<Memory, T>;
  using P = typename M::ptr;
  using CP = typename M::cptr;
  template <class U>
  using buffer = typename Memory::template buffer<U>;
  template <class U>
  using pointer = typename Memory::template pointer<U>;
  using input_shape = typename Body::input_shape;
  using output_shape = typename Body::output_shape;
  static constexpr bool host_memory = Memory::host_accessible;

  // A backend that runs parts of a batch on threads of its own.
  static constexpr bool threaded = runs_parts<Backend>;
  static constexpr unsigned max_parts = PartSync::max_parts;
  // Training batches go through in micro-batches unless a layer couples samples; across
  // threads unless one couples them without combining its parts' statistics.
  static constexpr bool splits_training_batches = !Body::couples_samples;
  static constexpr bool threads_training_batches = splits_across_threads<Body>;
  static constexpr std::size_t bytes_per_sample =
      std::max<std::size_t>(1, Body::cache_per_sample * sizeof(T));
  // Slots of the step record per part: the loss sum and the count of correct predictions.
  static constexpr std::size_t part_slots = 2;

  BatchRunner(Body& body, Backend& backend, std::size_t parameter_count)
      : body_(body), backend_(backend), parameter_count_(parameter_count) {}

  // The model's parameter arrays (replicas share the parameters and state).
  void attach(P params, P grads, P state) { params_ = params, grads_ = grads, state_ = state; }

  // Device room for batches of up to `batch` samples with labels of type L (`width` each). The
  // block only grows, and the labels start after room for the largest batch reserved so far, so
  // a smaller pass in between (validation, predict) never moves them under a larger batch.
  template <class L>
  void reserve(std::size_t batch, std::size_t label_width) {
    if (batch > reserved_) {
      out_.resize(batch * output_shape::size);
      dout_.resize(batch * output_shape::size);
      reserved_ = batch;
    }
    if (row_weights_ && weights_.size() < reserved_) {
      weights_.resize(reserved_);
      host_weights_.resize(reserved_);
    }
    label_bytes_ = std::max(label_bytes_, label_width * sizeof(L));
    labels_at_ = align(reserved_ * input_shape::size * sizeof(T));
    const std::size_t bytes = labels_at_ + align(reserved_ * label_bytes_);
    if (bytes > batch_bytes_) {
      batch_.resize(bytes);
      if constexpr (!host_memory) staging_.resize(bytes);
      batch_bytes_ = bytes;
    }
  }
  // The record's first `probe_slots` slots belong to the training probe; the parts' follow.
  void reserve_record(std::size_t probe_slots) {
    probe_slots_ = probe_slots;
    const std::size_t size = probe_slots + max_parts * part_slots;
    if (record_.size() < size) record_.resize(size);
    host_record_.resize(record_.size());  // download_record reads the whole record
  }

  // Where the next batch's rows go on the host: the device block itself for host memory, else a
  // staging copy that upload_batch sends in one transfer.
  unsigned char* host_batch() {
    if constexpr (host_memory)
      return batch_.data();
    else
      return staging_.data();
  }
  template <class L>
  L* host_labels() {
    return view_as<L>(host_batch(), labels_at_);
  }
  T* host_inputs() { return view_as<T>(host_batch(), 0); }
  // Rows of a dataset into the batch block (and their weights, when fit weights samples).
  template <class D>
  void gather(const D& data, std::span<const std::size_t> rows) {
    T* x = host_inputs();
    auto* t = host_labels<typename D::label_value>();
    for (std::size_t i = 0; i < rows.size(); ++i) {
      std::copy_n(data.input(rows[i]), input_shape::size, x + i * input_shape::size);
      std::copy_n(data.label(rows[i]), D::label_width, t + i * D::label_width);
    }
    if (row_weights_)
      for (std::size_t i = 0; i < rows.size(); ++i) host_weights_[i] = (*row_weights_)[rows[i]];
  }
  // Each training row's weight (fit's class and sample weights) until the next call; null: none.
  // Training batches then carry their rows' weights, which scale each sample's loss and
  // gradient. The dataset is not kept on the device meanwhile (its rows are gathered on the host).
  void set_row_weights(const std::vector<T>* weights) {
    row_weights_ = weights;
    if (weights) {
      resident_ = false;
      weights_.resize(std::max<std::size_t>(reserved_, 1));
      host_weights_.resize(weights_.size());
    }
  }
  // Consecutive samples of a dataset (evaluate): inputs and labels side by side.
  template <class D>
  void gather_range(const D& data, std::size_t first, std::size_t count) {
    std::copy_n(data.input(first), count * input_shape::size, host_inputs());
    std::copy_n(data.label(first), count * D::label_width, host_labels<typename D::label_value>());
  }
  // A backend that gathers rows on the device (tg::Cuda) trains on a dataset kept there when it
  // fits in half the free device memory: a step then uploads only its row numbers.
  static constexpr bool gathers_on_device =
      requires(Backend & b, pointer<const T> x, pointer<const std::uint32_t> rows, pointer<T> y) {
    b.gather_rows(x, rows, y, std::size_t{1}, std::size_t{1});
  };
  // Copies the dataset to the device (every fit: the host data may have changed in between);
  // returns whether it is there.
  template <class D>
  bool keep_on_device(const D& data) {
    resident_ = false;
    if (row_weights_) return false;
    if constexpr (gathers_on_device) {
      using L = typename D::label_value;
      const std::size_t n = data.size(), values = n * input_shape::size,
                        labels = n * D::label_width;
      // The copy this runner holds is reused in place: its bytes count as free.
      const std::size_t held = resident_inputs_.size() * sizeof(T) + resident_labels_.size();
      const std::size_t available = backend_.available_memory_bytes() + held;
      if (n == 0 || n > std::size_t(UINT32_MAX) ||
          values * sizeof(T) + labels * sizeof(L) > available / 2) {
        resident_inputs_ = buffer<T>();  // a set too large now: give the old copy's memory back
        resident_labels_ = buffer<unsigned char>();
        return false;
      }
      if (resident_inputs_.size() < values) resident_inputs_.resize(values);
      if (resident_labels_.size() < labels * sizeof(L)) resident_labels_.resize(labels * sizeof(L));
      if (rows_.size() < reserved_) rows_.resize(reserved_);
      host_rows_.resize(reserved_);
      backend_.upload(data.input(0), resident_inputs_.data(), values);
      backend_.upload(reinterpret_cast<const unsigned char*>(data.label(0)),
                      resident_labels_.data(), labels * sizeof(L));
      resident_ = true;
    }
    return resident_;
  }
  bool resident() const { return resident_; }
  void forget_device_data() { resident_ = false; }
  // The batch from the dataset kept on the device: its row numbers up, the rows gathered there.
  template <class D>
  void gather_on_device(std::span<const std::size_t> rows) {
    if constexpr (gathers_on_device) {
      using L = typename D::label_value;
      for (std::size_t i = 0; i < rows.size(); ++i) host_rows_[i] = std::uint32_t(rows[i]);
      backend_.upload(host_rows_.data(), rows_.data(), rows.size());
      const pointer<const std::uint32_t> r = rows_.data();
      backend_.gather_rows(CP(resident_inputs_.data()), r, view_as<T>(batch_.data(), 0),
                           input_shape::size, rows.size());
      backend_.gather_rows(pointer<const L>(view_as<L>(resident_labels_.data(), 0)), r,
                           view_as<L>(batch_.data(), labels_at_), D::label_width, rows.size());
    }
  }

  // The batch's inputs and labels to the device: one transfer (none for host memory).
  void upload_batch(std::size_t count, std::size_t label_bytes_per_sample) {
    // One block: the inputs, the gap to the labels' offset, the labels.
    if constexpr (!host_memory)
      backend_.upload(staging_.data(), batch_.data(), labels_at_ + count * label_bytes_per_sample);
    if (row_weights_) backend_.upload(host_weights_.data(), weights_.data(), count);
  }

  CP inputs() const { return view_as<T>(unconst(batch_.data()), 0); }
  template <class L>
  pointer<const L> labels() const {
    return view_as<L>(unconst(batch_.data()), labels_at_);
  }
  P outputs() { return out_.data(); }

  // The step record: zeroed on the device, read back in one transfer.
  pointer<double> record() { return record_.data(); }
  void clear_record() { backend_.fill(record_.data(), 0.0, record_.size()); }
  const double* download_record() {
    backend_.download(typename Memory::template pointer<const double>(record_.data()),
                      host_record_.data(), record_.size());
    return host_record_.data();
  }
  // Sums over the parts of a downloaded record.
  double loss_sum(const double* r) const { return sum_slot(r, 0); }
  double correct_sum(const double* r) const { return sum_slot(r, 1); }

  unsigned parts_for(std::size_t n, Mode mode) const {
    if constexpr (threaded) {
      if (mode == Mode::training && !threads_training_batches) return 1;
      return unsigned(std::clamp<std::size_t>(std::min<std::size_t>(backend_.threads(), max_parts),
                                              1, std::max<std::size_t>(n, 1)));
    } else {
      return 1;
    }
  }
  // Samples per micro-batch for a part of n samples: equal pieces, the parts' pieces together
  // within the backend's working set. A backend without one takes the part whole.
  std::size_t piece_size(std::size_t n, Mode mode, unsigned parts) const {
    if (mode == Mode::training && !splits_training_batches) return n;
    if constexpr (requires { backend_.working_set_bytes(); }) {
      const std::size_t limit =
          std::max<std::size_t>(1, backend_.working_set_bytes() / (bytes_per_sample * parts));
      const std::size_t pieces = (n + limit - 1) / limit;
      return pieces ? (n + pieces - 1) / pieces : n;
    } else {
      return n;
    }
  }

  // Forward and backward over the n samples of the batch block, accumulating loss and correct
  // counts into the record; a split batch's gradients stay in the replicas until
  // sum_gradients. watch(body, backend, x, y, count) sees part 0's micro-batches.
  template <class Labels, class Watch>
  unsigned gradient_pass(std::size_t n, Mode mode, T threshold, Watch&& watch) {
    using L = typename Labels::template value_type<T>;
    const unsigned parts = parts_for(n, mode);
    for_parts(n, mode, parts,
              [&](Body& body, Backend& backend, P grads, std::size_t begin, std::size_t count,
                  unsigned part) {
                backend.fill(grads, T(0), parameter_count_);
                const std::size_t piece = piece_size(count, mode, parts);
                auto slot = record_.data() + probe_slots_ + part * part_slots;
                for (std::size_t s = begin; s < begin + count; s += piece) {
                  const std::size_t c = std::min(piece, begin + count - s);
                  const CP x = inputs() + s * input_shape::size;
                  const P y = out_.data() + s * output_shape::size;
                  const P dy = dout_.data() + s * output_shape::size;
                  const auto t = labels<L>() + s * Labels::width;
                  body.forward(backend, x, y, c, mode);
                  const CP w = row_weights_ ? CP(weights_.data()) + s : CP{};
                  backend.template loss<Loss>(fused ? CP(body.logits()) : CP(y), t, dy,
                                              output_shape::size, Labels::width, c, n, slot, w);
                  count_correct<Labels>(backend, y, t, c, threshold, slot + 1);
                  if (part == 0) watch(body, backend, x, CP(y), c);
                  if constexpr (fused)
                    body.backward_from_logits(backend, x, dy, P{}, c);
                  else
                    body.backward(backend, x, y, dy, P{}, c);
                }
              });
    return parts;
  }

  // Forward over the n samples at `x` into `y`, split like training, with the loss and
  // correct counts of labelled data accumulated into the record.
  // Labels = NoLabels: outputs only; else `labels` are the n samples' labels.
  template <class Labels>
  void inference_pass(CP x, P y, std::size_t n, T threshold,
                      pointer<const typename Labels::template value_type<T>> labels = {}) {
    constexpr bool labelled = !std::is_same_v<Labels, NoLabels>;
    const unsigned parts = parts_for(n, Mode::inference);
    for_parts(
        n, Mode::inference, parts,
        [&](Body& body, Backend& backend, P, std::size_t begin, std::size_t count, unsigned part) {
          const std::size_t piece = piece_size(count, Mode::inference, parts);
          auto slot = record_.data() + probe_slots_ + part * part_slots;
          for (std::size_t s = begin; s < begin + count; s += piece) {
            const std::size_t c = std::min(piece, begin + count - s);
            const P out = y + s * output_shape::size;
            body.forward(backend, x + s * input_shape::size, out, c, Mode::inference);
            if constexpr (labelled) {
              const auto t = labels + s * Labels::width;
              backend.template loss<Loss>(fused ? CP(body.logits()) : CP(out), t, P{},
                                          output_shape::size, Labels::width, c, c, slot);
              count_correct<Labels>(backend, out, t, c, threshold, slot + 1);
            }
          }
        });
  }

  // grads (replica 0's) += the other replicas' gradients, each thread on a range of parameters;
  // `update(backend, offset, count)` then steps the optimizer on the range while it is in cache.
  template <class Update>
  void sum_gradients(unsigned parts, Update&& update) {
    if constexpr (threaded) {
      auto job = [&](unsigned p) {
        // Range bounds on 64-byte lines, so no two threads write the same line.
        constexpr std::size_t line = 64 / sizeof(T);
        auto bound = [&](unsigned q) {
          return q == parts ? parameter_count_ : parameter_count_ * q / parts / line * line;
        };
        const std::size_t i0 = bound(p), i1 = bound(p + 1);
        T* out = grads_;
        for (unsigned q = 1; q < parts; ++q) {
          const T* in = replicas_[q]->grads;
          for (std::size_t i = i0; i < i1; ++i) out[i] += in[i];
        }
        update(replicas_[p]->backend, i0, i1 - i0);
      };
      backend_.run_parts(parts, job);
    }
  }

  // The random generators of the network and of each replica, in a fixed order.
  template <class F>
  void visit_replica_generators(F&& f) {
    for (auto& r : replicas_) f(r->body);
  }
  std::size_t replica_count() const { return replicas_.size(); }
  void prepare_replicas(unsigned parts, std::uint64_t seed) {
    if constexpr (threaded) {
      while (replicas_.size() < parts) {
        auto r = std::make_unique<Replica>();
        if (replicas_.empty()) {
          r->grads = grads_;
        } else {
          r->own_grads.resize(parameter_count_);
          r->grads = r->own_grads.data();
        }
        // Seeds the replica's own random layers (Dropout) without writing the shared weights.
        std::vector<T> scratch(parameter_count_), scratch_state(Body::state_count);
        InitialValues<T> seeding{scratch.data(), nullptr, scratch_state.data()};
        Rng rng(seed + 0x9E3779B97F4A7C15ull * (replicas_.size() + 1));
        r->body.initialize(seeding, rng);
        ParameterSlots<M> shared{params_, r->grads, state_, &sync_, unsigned(replicas_.size())};
        r->body.attach(shared);
        replicas_.push_back(std::move(r));
      }
    }
  }
  Body& replica_body(std::size_t i) { return replicas_[i]->body; }
  void set_seed(std::uint64_t seed) { seed_ = seed; }

 private:
  static constexpr bool fused = Fused;
  static std::size_t align(std::size_t bytes) { return (bytes + 63) / 64 * 64; }

  template <class Labels, class Y, class L>
  static void count_correct(Backend& backend, Y y, L t, std::size_t c, T threshold,
                            pointer<double> into) {
    if constexpr (Labels::kind != LabelKind::real)
      backend.template count_correct<Labels>(CP(y), t, output_shape::size, c, threshold, into);
  }

  double sum_slot(const double* r, std::size_t slot) const {
    double total = 0;
    for (unsigned p = 0; p < max_parts; ++p) total += r[probe_slots_ + p * part_slots + slot];
    return total;
  }

  // One replica per part of a split batch: its own layer buffers, gradients and single-threaded
  // backend (the model's own body and backend serve unsplit batches).
  struct Replica {
    Body body;
    buffer<T> own_grads;  // replica 0 writes the model's gradients instead
    P grads{};
    Backend backend{1u};
    std::size_t reserved = 0;
  };
  static void reserve_body(Body& body, std::size_t& reserved, std::size_t piece) {
    if (piece <= reserved) return;
    body.reserve(piece);
    reserved = piece;
  }
  // fn(body, backend, grads, first sample, count, part) for each of `parts` parts of n samples.
  template <class Fn>
  void for_parts(std::size_t n, Mode mode, unsigned parts, Fn&& fn) {
    if (parts == 1) {
      reserve_body(body_, body_reserved_, piece_size(n, mode, 1));
      fn(body_, backend_, grads_, std::size_t{0}, n, 0u);
      return;
    }
    if constexpr (threaded) {
      prepare_replicas(parts, seed_);
      sync_.start(parts);
      auto job = [&](unsigned p) {
        Replica& r = *replicas_[p];
        const std::size_t begin = n * p / parts, end = n * (p + 1) / parts;
        reserve_body(r.body, r.reserved, piece_size(end - begin, mode, parts));
        fn(r.body, r.backend, r.grads, begin, end - begin, p);
      };
      backend_.run_parts(parts, job);
    }
  }

  Body& body_;
  Backend& backend_;
  std::size_t parameter_count_;
  P params_{}, grads_{}, state_{};
  buffer<unsigned char> batch_;
  std::vector<unsigned char> staging_;
  // A training set kept on the device (gathers_on_device), and the current batch's row numbers.
  bool resident_ = false;
  buffer<T> resident_inputs_;
  buffer<unsigned char> resident_labels_;
  const std::vector<T>* row_weights_ = nullptr;
  buffer<T> weights_;            // the batch's weights on the device
  std::vector<T> host_weights_;  // and where gather puts them
  buffer<std::uint32_t> rows_;
  std::vector<std::uint32_t> host_rows_;
  std::size_t batch_bytes_ = 0, labels_at_ = 0, label_bytes_ = 0, reserved_ = 0, body_reserved_ = 0;
  buffer<T> out_, dout_;
  buffer<double> record_;
  std::vector<double> host_record_;
  std::size_t probe_slots_ = 0;
  std::vector<std::unique_ptr<Replica>> replicas_;
  PartSync sync_;  // where the replicas of a split batch meet (coupled layers' statistics)
  std::uint64_t seed_ = 42;
};

}  // namespace tensorguard::detail
