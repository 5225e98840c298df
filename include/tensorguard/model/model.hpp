// Model<Net, Loss, Backend>: a Sequential network with its loss, its parameters, gradients and
// state in the backend's memory, and the optimizer: the public face (fit, evaluate, predict,
// find_learning_rate, summary, save, load). The data path is model -> runner (BatchRunner:
// batches to the backend, micro-batches, threads) -> chain -> layer -> backend; fit's loop,
// early stopping and the learning-rate search live in training/.
#pragma once
#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <limits>
#include <memory>
#include <numeric>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <vector>

#include "../backend/cpu.hpp"
#include "../backend/memory.hpp"
#include "../core/random.hpp"
#include "../data/augmentation.hpp"
#include "../data/dataset.hpp"
#include "../guards/data_guards.hpp"
#include "../guards/training_guards.hpp"
#include "../layers/normalization.hpp"
#include "../losses/fusion.hpp"
#include "../optim/optimizer.hpp"
#include "../runner/batch_runner.hpp"
#include "../training/early_stopping.hpp"
#include "../training/fit_loop.hpp"
#include "../training/fit_options.hpp"
#include "../training/history.hpp"
#include "../training/lr_search.hpp"
#include "../training/probe.hpp"
#include "checkpoint.hpp"
#include "compatibility.hpp"
#include "sequential.hpp"
#include "summary.hpp"
#include "weights_file.hpp"

#ifdef TENSORGUARD_CHECKED_DEVICE
#include "../backend/checked_device.hpp"
#elif defined(TENSORGUARD_CUDA)
#include "../backend/cuda.hpp"
#endif

namespace tensorguard {

class Cuda;  // the CUDA backend: backend/cuda.hpp, linked with tensorguard::cuda

// The backend a Model uses when none is named: Cpu; Cuda in builds that define TENSORGUARD_CUDA
// (and link tensorguard::cuda); CheckedDevice in builds that define TENSORGUARD_CHECKED_DEVICE
// (the test suite's device-rules run). docs/backends.md.
#ifdef TENSORGUARD_CHECKED_DEVICE
using DefaultBackend = CheckedDevice;
#elif defined(TENSORGUARD_CUDA)
using DefaultBackend = Cuda;
#else
using DefaultBackend = Cpu;
#endif

// How a training batch runs (Model::training_split): on how many threads, each on its share of
// the batch with its own replica of the layer buffers, and in micro-batches of how many samples.
struct TrainingSplit {
  unsigned threads = 1;
  std::size_t micro_batch = 0;
};

// What Model<Net, Loss, Backend> requires of Backend (docs/backends.md lists every op).
template <class B>
concept Backend = requires(B& b, const B& cb) {
  typename B::memory;
  typename B::Op;
  { B::name } -> std::convertible_to<const char*>;
  { cb.available_memory_bytes() } -> std::convertible_to<std::size_t>;
  requires std::is_constructible_v<B, unsigned>;
  requires requires(float* host, typename B::memory::template pointer<float> device) {
    b.upload(static_cast<const float*>(host), device, std::size_t{1});
    b.download(device, host, std::size_t{1});
    b.copy(device, device, std::size_t{1});
    b.fill(device, 0.0f, std::size_t{1});
  };
};

template <class Net, class Loss, class Backend_ = DefaultBackend>
class Model {
  static_assert(is_sequential<Net>, "Model<Net, Loss>: Net must be a Sequential<Input<...>, ...>");
  // tg::Cuda is declared here and defined in backend/cuda.hpp (it needs a compiled library).
  static constexpr bool backend_defined = requires { sizeof(Backend_); };
  static_assert(backend_defined,
                "Model<Net, Loss, Backend>: the backend is declared but not defined; fix: for "
                "tg::Cuda, #include <tensorguard/backend/cuda.hpp> and link tensorguard::cuda");
  static constexpr bool is_backend = backend_defined && Backend<Backend_>;  // a bool: no trace
  static_assert(!backend_defined || is_backend,
                "Model<Net, Loss, Backend>: Backend is not a tensorguard backend (it names its "
                "memory, Op and name, and provides upload, download, copy, fill and "
                "available_memory_bytes); fix: use tg::Cpu, or see docs/backends.md");

 public:
  using network = Net;
  using loss_type = Loss;
  using backend_type = Backend_;
  using scalar = typename Net::scalar;
  using input_shape = typename Net::input_shape;
  using output_shape = typename Net::output_shape;
  using T = scalar;

 private:
  // After a failed backend check, Cpu stands in so that one error is reported.
  using B = std::conditional_t<is_backend, Backend_, Cpu>;
  using Memory = typename B::memory;
  using M = Tensors<Memory, T>;
  using P = typename M::ptr;
  using CP = typename M::cptr;
  using Buf = typename M::buffer;
  using Body = typename Net::template body_on<Memory>;
  using OutputActivation = typename Net::output_activation;
  static constexpr bool fused = loss::fuses_with<Loss, OutputActivation>;
  using ComputedLoss = std::conditional_t<fused, loss::FromLogits<Loss>, Loss>;
  using Runner = detail::BatchRunner<Body, ComputedLoss, fused, B, T>;
  template <class Mdl, class D>
  friend History detail::fit_epochs(Mdl&, const D&, const FitOptions<D>&, History&);

 public:
  // The loss against the output layer (the model's own checks run in Sequential).
  using loss_verdict = detail::verdict_of<detail::loss_verdict<Net, Loss>()>;
  static_assert(sizeof(typename detail::report<loss_verdict>::model_is_valid));  // errors.md
  // After a failed model or loss check, fit and the others compile to nothing: one error only.
  static constexpr bool checks_passed = Net::valid && detail::is_passed<loss_verdict>;

  static constexpr std::size_t parameter_count = Net::parameter_count;
  static constexpr std::size_t state_count = Net::state_count;
  static constexpr double flops_per_sample = Net::flops_per_sample;
  static constexpr std::size_t activation_bytes_per_sample = Net::activation_bytes_per_sample;
  // Parameters, their gradients and the optimizer's moments.
  static constexpr std::size_t training_state_bytes =
      (4 * parameter_count + state_count) * sizeof(scalar);

  explicit Model(optim::Settings optimizer = optim::Adam{}, std::uint64_t seed = 42)
      : optimizer_(optimizer) {
    params_.resize(parameter_count);
    grads_.resize(parameter_count);
    state_.resize(state_count);
    ParameterSlots<M> slots{params_.data(), grads_.data(), state_.data()};
    body_.attach(slots);
    runner_.attach(params_.data(), grads_.data(), state_.data());
    runner_.reserve_record(0);
    reinitialize(seed);
  }
  Model(const Model&) = delete;  // layers point into this model's parameter arrays
  Model& operator=(const Model&) = delete;

  // Fresh weights from the seed; the same seed gives bit-identical weights on every backend
  // (drawn on the host, uploaded once).
  void reinitialize(std::uint64_t seed) {
    rng_.reseed(seed);
    seed_ = seed;
    runner_.set_seed(seed);
    std::vector<T> params(parameter_count), state(state_count);
    InitialValues<T> initial{params.data(), nullptr, state.data()};
    body_.initialize(initial, rng_);
    backend_.upload(params.data(), params_.data(), parameter_count);
    backend_.upload(state.data(), state_.data(), state_count);
    optimizer_.reserve(backend_, parameter_count);
    adapted_ = false;
    normalization_stats_ = {};
  }

  // Whether the first layer is Normalization (the model scales its own inputs; see adapt).
  static constexpr bool normalizes_input = std::is_same_v<typename Net::first_layer, Normalization>;

  // Sets the statistics of the model's Normalization layer (its first): each channel's mean and
  // variance over the given inputs, the training data (Keras: Normalization.adapt). They are
  // saved with the weights. A channel that is constant in the data is centred, not scaled.
  template <class D>
  requires detail::DatasetType<D>
  void adapt(const D& data) {
    using verdict = detail::data_verdict_t<Net, Loss, D, /*WithLabels=*/false>;
    static_assert(sizeof(typename detail::report<verdict>::model_is_valid));  // docs/errors.md
    if constexpr (detail::is_passed<verdict> && checks_passed) adapt(data.inputs());
  }
  void adapt(std::span<const T> inputs) {
    static_assert(normalizes_input,
                  "adapt: the model's first layer is not tg::Normalization; fix: add "
                  "tg::Normalization right after Input, or scale the data with a data:: scaler");
    if constexpr (normalizes_input && checks_passed) {
      constexpr std::size_t C = input_shape::dims[input_shape::rank - 1];
      const std::size_t n = inputs.size() / input_shape::size;
      if (n == 0 || inputs.size() % input_shape::size != 0)
        throw std::invalid_argument("adapt: " + std::to_string(inputs.size()) +
                                    " values are not whole samples of " + input_shape::to_string() +
                                    " (" + std::to_string(input_shape::size) + " values each)");
      const std::size_t rows = inputs.size() / C;
      std::vector<double> mean(C), var(C);
      for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t c = 0; c < C; ++c) {
          const double v = double(inputs[r * C + c]);
          if (!std::isfinite(v))
            throw std::invalid_argument("adapt: sample " +
                                        std::to_string(r * C / input_shape::size) + " holds " +
                                        (std::isnan(v) ? "NaN" : "Inf") + " at value " +
                                        std::to_string((r * C + c) % input_shape::size) +
                                        ": statistics over it would be NaN; clean the data first");
          mean[c] += v;
        }
      for (auto& m : mean) m /= double(rows);
      for (std::size_t r = 0; r < rows; ++r)  // two passes: exact for large offsets
        for (std::size_t c = 0; c < C; ++c) {
          const double d = double(inputs[r * C + c]) - mean[c];
          var[c] += d * d;
        }
      std::vector<T> state(2 * C);
      for (std::size_t c = 0; c < C; ++c) {
        const double v = var[c] / double(rows);  // the population variance, as Keras
        state[c] = T(mean[c]);
        // No spread (or less than T resolves around the mean): centre only.
        state[C + c] = v > 0 && T(v) > 0 && std::sqrt(v) > 1e-6 * std::abs(mean[c]) ? T(v) : T(1);
      }
      backend_.upload(state.data(), state_.data(), 2 * C);  // the first layer's state
      adapted_ = true;
      normalization_stats_ = {};
    }
  }

  template <class D>
  History fit(const D& train, const FitOptions<D>& options = {}) {
    using verdict = detail::data_verdict_t<Net, Loss, D>;
    static_assert(sizeof(typename detail::report<verdict>::model_is_valid));  // docs/errors.md
    if constexpr (detail::is_passed<verdict> && checks_passed)
      return detail::fit_loop(*this, train, options);
    else
      return {};
  }

  // The data guards fit runs before its first step, alone (the options' validation set,
  // batch size and guard levels apply): a GuardReport of the warnings, GuardStop for a stop.
  template <class D>
  GuardReport check_data(const D& train, const FitOptions<D>& options = {}) {
    using verdict = detail::data_verdict_t<Net, Loss, D>;
    static_assert(sizeof(typename detail::report<verdict>::model_is_valid));  // docs/errors.md
    GuardReport report;
    if constexpr (detail::is_passed<verdict> && checks_passed) {
      detail::check_fit_options(train, options);
      require_adapted("check_data");
      detail::GuardSink sink(options.guards, report);
      check_data_guards(train, options.validation ? &options.validation->get() : nullptr,
                        std::min(options.batch_size, train.size()), sink,
                        detail::row_weights(train, options));
    }
    return report;
  }

  template <class D>
  Evaluation evaluate(const D& data, std::size_t batch_size = 256) {
    return evaluate(data, {}, batch_size);
  }
  // The loss, accuracy and the metrics asked ({Metric::precision, Metric::confusion_matrix}...).
  template <class D>
  Evaluation evaluate(const D& data, const std::vector<Metric>& metrics,
                      std::size_t batch_size = 256) {
    using verdict = detail::data_verdict_t<Net, Loss, D>;
    static_assert(sizeof(typename detail::report<verdict>::model_is_valid));  // docs/errors.md
    if constexpr (detail::is_passed<verdict> && checks_passed) {
      if (data.size() == 0) throw std::invalid_argument("evaluate: the dataset is empty");
      detail::check_metrics<typename D::labels_type>(metrics, "evaluate", false);
      require_adapted("evaluate");
      check_held_out(data, "evaluation", true);
      auto accumulator = metric_accumulator<D>(metrics);
      Evaluation e = evaluate_checked(data, batch_size, metrics.empty() ? nullptr : &accumulator);
      if (std::find(metrics.begin(), metrics.end(), Metric::confusion_matrix) != metrics.end())
        e.confusion = accumulator.confusion();
      return e;
    } else {
      return {};
    }
  }

  // What the data guards of the last evaluate or predict reported (warnings; a stop throws
  // GuardStop): TG-DATA-SHIFT, TG-DATA-LEAKAGE and TG-DATA-SCALER-LEAK against the data fit saw.
  const GuardReport& last_guard_report() const { return last_report_; }
  // The guard levels evaluate and predict use: fit sets them to its options' guards.
  GuardPolicy& guard_policy() { return guards_; }

  // Tries rates from options.start to options.end on the training data, then restores the
  // weights, normalisation state, optimizer (settings, moments, step count) and random
  // generators: the model is unchanged afterwards.
  template <class D>
  LearningRateSearch find_learning_rate(const D& train, LearningRateSearchOptions options = {}) {
    using verdict = detail::data_verdict_t<Net, Loss, D>;
    static_assert(sizeof(typename detail::report<verdict>::model_is_valid));  // docs/errors.md
    LearningRateSearch out;
    if constexpr (detail::is_passed<verdict> && checks_passed) {
      detail::check_search_options(options, train.size());
      require_adapted("find_learning_rate");
      check_usable(train, "training");
      Buf params(parameter_count), state(state_count);
      backend_.copy(CP(params_.data()), params.data(), parameter_count);
      backend_.copy(CP(state_.data()), state.data(), state_count);
      const optim::Optimizer<T, Memory> optimizer = optimizer_;
      const auto generators = save_generators();
      const std::size_t batch = std::min(options.batch_size, train.size());
      prepare_training<D>(batch, train.size());
      keep_training_data_on_device(train);
      optimizer_.reserve(backend_, parameter_count);  // a fresh optimizer for the search
      std::size_t cursor = order_.size();
      out = detail::learning_rate_search(options, [&](double rate) {
        optimizer_.set_learning_rate(rate);
        if (cursor + batch > order_.size()) {
          shuffle_order();
          cursor = 0;
        }
        gather_order(train, cursor, batch);
        cursor += batch;
        return train_step<D>(batch).first / double(batch);
      });
      backend_.copy(CP(params.data()), params_.data(), parameter_count);
      backend_.copy(CP(state.data()), state_.data(), state_count);
      optimizer_ = optimizer;
      restore_generators(generators);
    }
    return out;
  }

  // Outputs for consecutive samples (inputs.size() must be a multiple of the input size).
  std::vector<T> predict(std::span<const T> inputs, std::size_t batch_size = 256) {
    if (inputs.size() % input_shape::size != 0)
      throw std::invalid_argument("predict: " + std::to_string(inputs.size()) +
                                  " values are not whole samples of " + input_shape::to_string() +
                                  " (" + std::to_string(input_shape::size) + " values each)");
    require_adapted("predict");
    last_report_ = {};
    if (!guards_.all_off()) {
      detail::GuardSink sink(guards_, last_report_, false);
      detail::check_shift(shift_reference(), inputs.data(), inputs.size() / input_shape::size,
                          input_shape::size, "prediction", sink, normalizes_input);
      print_new_warnings();
    }
    return predict_rows(inputs, batch_size);
  }
  template <class D>
  requires detail::DatasetType<D> std::vector<T> predict(const D& data,
                                                         std::size_t batch_size = 256) {
    using verdict = detail::data_verdict_t<Net, Loss, D, /*WithLabels=*/false>;
    static_assert(sizeof(typename detail::report<verdict>::model_is_valid));  // docs/errors.md
    if constexpr (detail::is_passed<verdict> && checks_passed) {
      require_adapted("predict");
      check_held_out(data, "prediction", false);
      return predict_rows(data.inputs(), batch_size);
    } else {
      return {};
    }
  }
  // Outputs for `samples` consecutive samples at `inputs` (samples x the input size values).
  std::vector<T> predict(const T* inputs, std::size_t samples, std::size_t batch_size = 256) {
    return predict(std::span<const T>(inputs, samples * input_shape::size), batch_size);
  }

  // The class each sample is predicted to be: the largest output (argmax), or for one output
  // 1 above the threshold (0.5 after Sigmoid, 0 for logits) and 0 otherwise. Takes what
  // predict takes.
  template <class... Args>
  std::vector<std::int32_t> predict_classes(const Args&... args) {
    return classes_of(predict(args...));
  }
  // The same for outputs predict returned earlier.
  static std::vector<std::int32_t> classes_of(std::span<const T> outputs) {
    constexpr std::size_t width = output_shape::size;
    std::vector<std::int32_t> classes(outputs.size() / width);
    for (std::size_t s = 0; s < classes.size(); ++s) {
      const T* y = outputs.data() + s * width;
      if constexpr (width == 1)
        classes[s] = y[0] > binary_threshold ? 1 : 0;
      else
        classes[s] = std::int32_t(std::max_element(y, y + width) - y);
    }
    return classes;
  }

  // Anything else (values of another element type, a non-contiguous container): one error.
  template <class R>
  requires(!detail::DatasetType<R> && !std::is_convertible_v<const R&, std::span<const T>> &&
           !std::is_convertible_v<const R&, const T*>) std::vector<T> predict(const R&,
                                                                              std::size_t = 256) {
    using verdict = detail::verdict_of<detail::predict_input_verdict<T, R>()>;
    static_assert(sizeof(typename detail::report<verdict>::model_is_valid));  // docs/errors.md
    return {};
  }

 private:
  std::vector<T> predict_rows(std::span<const T> inputs, std::size_t batch_size) {
    const std::size_t n = inputs.size() / input_shape::size;
    std::vector<T> out(n * output_shape::size);
    const std::size_t batch = std::max<std::size_t>(1, std::min(batch_size, n));
    runner_.template reserve<T>(batch, 0);
    for (std::size_t start = 0; start < n; start += batch) {
      const std::size_t count = std::min(batch, n - start);
      const T* x = inputs.data() + start * input_shape::size;
      T* y = out.data() + start * output_shape::size;
      if constexpr (Memory::host_accessible) {
        // Host memory: straight from the caller's inputs into the caller's outputs.
        runner_.template inference_pass<detail::NoLabels>(x, y, count, binary_threshold);
      } else {
        std::copy_n(x, count * input_shape::size, runner_.host_inputs());
        runner_.upload_batch(count, 0);
        runner_.template inference_pass<detail::NoLabels>(runner_.inputs(), runner_.outputs(),
                                                          count, binary_threshold);
        backend_.download(CP(runner_.outputs()), y, count * output_shape::size);
      }
    }
    return out;
  }

 public:
  void summary(std::ostream& out = std::cout) const {
    std::vector<LayerRecord> records;
    Body::describe(records, "", 0);
    detail::print_summary(
        out,
        {std::string("Model: Sequential<") + (sizeof(T) == 4 ? "float" : "double") + ">, loss " +
             Loss::name + ", optimizer " + optimizer_.name() + ", backend " + B::name,
         input_shape::to_string(), parameter_count, state_count, sizeof(T),
         activation_bytes_per_sample, flops_per_sample},
        records);
  }

  void save(const std::string& path) const {
    require_adapted("save");
    const auto params = get_weights(), state = get_state();
    detail::write_weights(path, records(), params.data(), params.size(), state.data(),
                          state.size());
  }
  // Loads weights from a weights file (version 1 or 2) or from a checkpoint. Throws
  // WeightsMismatch naming the first layer that differs, or what is corrupt; the model is
  // unchanged then. The optimizer starts afresh (zero moments, step 0): its state belonged to
  // the training that produced other weights. To continue a run, resume from a checkpoint.
  void load(const std::string& path) {
    // A weights file of this model has a known size: a longer one is refused without reading
    // all of it (a checkpoint is longer, and is read whole).
    const std::size_t limit =
        detail::weights_file_size(records(), parameter_count, state_count, sizeof(T));
    auto bytes = detail::read_whole_file(path, "load", limit);
    if (bytes.size() > limit && detail::is_checkpoint(bytes))
      bytes = detail::read_whole_file(path, "load");
    else if (bytes.size() > limit)
      throw WeightsMismatch("load: '" + path + "' is larger than any weights file of this model (" +
                            std::to_string(limit) +
                            " bytes): it is another model's, or something was appended");
    const std::span<const unsigned char> view(bytes);
    std::vector<T> params(parameter_count), state(state_count);  // the model's stay untouched
    if (detail::is_checkpoint(view)) {
      auto s =
          detail::parse_checkpoint<T>(view, path, records(), parameter_count, state_count, "load");
      params = std::move(s.params);
      state = std::move(s.state);
    } else {
      detail::parse_weights(view, path, records(), params.data(), params.size(), state.data(),
                            state.size());
    }
    backend_.upload(params.data(), params_.data(), parameter_count);
    backend_.upload(state.data(), state_.data(), state_count);
    optimizer_.reserve(backend_, parameter_count);
    adapted_ = false;  // checked on next use
    normalization_stats_ = {};
  }

  // What a checkpoint holds, after checking it against this model; the model is not touched.
  CheckpointSummary read_checkpoint(const std::string& path) const {
    const auto s = detail::read_checkpoint<T>(path, records(), parameter_count, state_count,
                                              "read_checkpoint");
    return {s.epoch, s.batch_size, s.samples, optim::name(s.settings), s.optimizer_step, s.history};
  }

  static std::vector<LayerRecord> records() {
    std::vector<LayerRecord> r;
    Body::describe(r, "", 0);
    return r;
  }

  // Host copies of the parameters (in layer order, as the weights file holds them), the last
  // gradients and the non-trainable state, on every backend; set_weights uploads new ones.
  std::vector<T> get_weights() const { return download(params_); }
  std::vector<T> get_gradients() const { return download(grads_); }
  std::vector<T> get_state() const { return download(state_); }
  void set_weights(std::span<const T> values) {
    if (values.size() != parameter_count)
      throw std::invalid_argument("set_weights: " + std::to_string(values.size()) +
                                  " values for a model of " + std::to_string(parameter_count) +
                                  " parameters");
    backend_.upload(values.data(), params_.data(), parameter_count);
  }
  // Views of the arrays themselves, where the backend's memory is the host's.
  std::span<T> parameters() requires Memory::host_accessible {
    return {params_.data(), params_.size()};
  }
  std::span<const T> parameters() const requires Memory::host_accessible {
    return {params_.data(), params_.size()};
  }
  std::span<const T> gradients() const requires Memory::host_accessible {
    return {grads_.data(), grads_.size()};
  }
  std::span<T> state() requires Memory::host_accessible { return {state_.data(), state_.size()}; }
  optim::Optimizer<T, Memory>& optimizer() { return optimizer_; }
  B& backend() { return backend_; }
  // How fit would run a batch of `batch` samples on this backend now (threads, working set).
  TrainingSplit training_split(std::size_t batch) const {
    const unsigned parts = runner_.parts_for(batch, Mode::training);
    return {parts, runner_.piece_size((batch + parts - 1) / parts, Mode::training, parts)};
  }

  // One forward and backward pass over n samples (no update): returns the summed loss.
  // Used by gradient checks; fit uses the same path.
  template <class D>
  double loss_and_gradient(std::span<const T> inputs,
                           std::span<const typename D::label_value> targets, Mode mode) {
    const std::size_t n = inputs.size() / input_shape::size;
    if (n == 0 || inputs.size() % input_shape::size != 0 || targets.size() != n * D::label_width)
      throw std::invalid_argument(
          "loss_and_gradient: " + std::to_string(inputs.size()) + " input values and " +
          std::to_string(targets.size()) + " target values; each sample needs " +
          std::to_string(input_shape::size) + " inputs (" + input_shape::to_string() + ") and " +
          std::to_string(D::label_width) + " targets (" + D::labels_type::name() + ")");
    if constexpr (D::labels_type::kind == LabelKind::class_index)
      for (std::size_t i = 0; i < targets.size(); ++i)
        if (targets[i] < 0 || std::size_t(targets[i]) >= D::labels_type::classes)
          throw std::invalid_argument("loss_and_gradient: target " + std::to_string(i) +
                                      " is class " + std::to_string(targets[i]) + " outside [0, " +
                                      std::to_string(D::labels_type::classes) + ")");
    require_adapted("loss_and_gradient");
    using L = typename D::label_value;
    runner_.template reserve<L>(n, D::label_width);
    std::copy(inputs.begin(), inputs.end(), runner_.host_inputs());
    std::copy(targets.begin(), targets.end(), runner_.template host_labels<L>());
    runner_.upload_batch(n, D::label_width * sizeof(L));
    runner_.clear_record();
    const unsigned parts = runner_.template gradient_pass<typename D::labels_type>(
        n, mode, binary_threshold, no_watch);
    if (parts > 1) runner_.sum_gradients(parts, [](B&, std::size_t, std::size_t) {});
    return runner_.loss_sum(runner_.download_record());
  }

 private:
  using Best = detail::BestWeights<Buf>;
  static constexpr auto no_watch = [](const Body&, B&, CP, CP, std::size_t) {};
  // Binary predictions are positive above 0.5 for probabilities, above 0 for logits.
  static constexpr T binary_threshold = std::is_same_v<OutputActivation, Sigmoid> ? T(0.5) : T(0);
  static constexpr bool threaded_backend = Runner::threaded;

  template <class Buffer>
  std::vector<T> download(const Buffer& b) const {
    std::vector<T> out(b.size());
    const_cast<B&>(backend_).download(b.data(), out.data(), b.size());
    return out;
  }

  // --- What fit_loop calls ----------------------------------------------------------------
  template <class D>
  void prepare_training(std::size_t batch, std::size_t samples) {
    runner_.template reserve<typename D::label_value>(batch, D::label_width);
    runner_.forget_device_data();  // until keep_training_data_on_device names this fit's data
    if constexpr (requires { backend_.forget_graph(); }) backend_.forget_graph();
    order_.resize(samples);
    for (std::size_t i = 0; i < samples; ++i) order_[i] = i;
  }
  void prepare_probe() {
    probe_.prepare(records(), parameter_count, body_, fused);
    runner_.reserve_record(probe_.slots());
  }
  void shuffle_order() { tensorguard::shuffle(order_.begin(), order_.end(), rng_); }
  // fit's training set stays on the device when the backend gathers there and it fits.
  template <class D>
  void keep_training_data_on_device(const D& data) {
    if (!augment_) runner_.keep_on_device(data);  // augmented batches are made on the host
  }
  template <class D>
  void gather_order(const D& data, std::size_t first, std::size_t count) {
    const auto rows = std::span<const std::size_t>(order_).subspan(first, count);
    if (runner_.resident()) {
      runner_.template gather_on_device<D>(rows);
      return;
    }
    runner_.gather(data, rows);
    if constexpr (input_shape::rank == 3)
      if (augment_)
        detail::augment_images(runner_.host_inputs(), count, input_shape::dims[0],
                               input_shape::dims[1], input_shape::dims[2], *augment_, rng_,
                               augment_scratch_);
    runner_.upload_batch(count, D::label_width * sizeof(typename D::label_value));
  }
  // Training batches carry these rows' weights and are augmented (each may be null) until the
  // returned handle is gone.
  auto training_batches(const std::vector<T>* weights, const Augmentation* augment) {
    runner_.set_row_weights(weights);
    augment_ = augment;
    auto clear = [](Model* m) {
      m->runner_.set_row_weights(nullptr);
      m->augment_ = nullptr;
    };
    return std::unique_ptr<Model, decltype(clear)>(this, clear);
  }
  bool observe_best(Best& best, const EpochLogs& logs, const EarlyStopping& rule) {
    return best.observe(backend_, params_, state_, logs, rule);
  }
  void restore_best(const Best& best) { best.restore(backend_, params_, state_); }

  // One step over the gathered batch: forward, loss, backward, the probe's reductions, one read
  // of the step record, the guards' verdict, then the update. Returns the summed loss and the
  // number of correct predictions.
  template <class D>
  std::pair<double, double> train_step(std::size_t n, detail::TrainingMonitor* monitor = nullptr,
                                       std::size_t epoch = 0, std::size_t step = 0) {
    const bool sample = monitor && monitor->sampling(global_step_);
    const bool sample_update = monitor && monitor->sampling_updates(global_step_);
    ++global_step_;
    runner_.clear_record();
    const auto record = runner_.record();
    if (monitor) probe_.measure_update(backend_, CP(params_.data()), record);
    auto watch = [&](const Body& body, B& backend, CP x, CP y, std::size_t c) {
      if (sample) probe_.activations(backend, body, x, y, c, record);
    };
    unsigned parts = 1;
    auto pass = [&] {
      parts = runner_.template gradient_pass<typename D::labels_type>(n, Mode::training,
                                                                      binary_threshold, watch);
    };
    // A backend with graphs (tg::Cuda) replays the pass instead of launching its kernels: the
    // same ops on the same buffers, for steps whose ops and arguments repeat (no random layer
    // drawing new masks, no guard statistics sampled).
    if constexpr (requires { backend_.run_captured(std::size_t{}, pass); }) {
      if (!sample && !has_random_layers())
        backend_.run_captured(n * 1000003u ^ typeid(D).hash_code(), pass);
      else
        pass();
    } else {
      pass();
    }
    const bool fused_update = parts > 1 && !sample && !sample_update;
    if (parts > 1 && !fused_update)
      runner_.sum_gradients(parts, [](B&, std::size_t, std::size_t) {});
    if (sample) probe_.gradients(backend_, CP(grads_.data()), record);
    const double* r = runner_.download_record();
    const double loss = runner_.loss_sum(r), correct = runner_.correct_sum(r);
    if (monitor) {
      monitor->loss(epoch, step, loss / double(n));
      probe_.judge(r, *monitor, epoch, step);
    }
    if (fused_update) {
      // One parallel pass: each thread sums its range of the gradients, then steps it.
      optimizer_.begin_step();
      runner_.sum_gradients(parts, [&](B& backend, std::size_t offset, std::size_t count) {
        optimizer_.update(backend, params_.data(), CP(grads_.data()), offset, count);
      });
    } else {
      if (sample_update) probe_.before_update(backend_, CP(params_.data()));
      optimizer_.step(backend_, params_.data(), CP(grads_.data()), parameter_count);
    }
    return {loss, correct};
  }

  bool has_random_layers() {
    bool random = false;
    body_.visit_generators([&](auto&) { random = true; });
    return random;
  }

  template <class D>
  using MetricsOf = detail::MetricAccumulator<typename D::labels_type, T>;
  template <class D>
  MetricsOf<D> metric_accumulator(const std::vector<Metric>& metrics) const {
    return MetricsOf<D>(metrics, binary_threshold);
  }
  // The outputs of the training batch just run (rows first.. of the shuffled order) into the
  // metrics, with the rows' labels from the dataset.
  template <class D>
  void add_batch_outputs(MetricsOf<D>& metrics, const D& data, std::size_t first,
                         std::size_t count) {
    constexpr std::size_t width = output_shape::size;
    const T* y = outputs_on_host(count);
    for (std::size_t i = 0; i < count; ++i)
      metrics.add(y + i * width, data.label(order_[first + i]), width);
  }

  // The last pass's outputs for `count` samples where the host can read them: in place on host
  // memory, else downloaded into host_outputs_ (grown, never shrunk).
  const T* outputs_on_host(std::size_t count) {
    if constexpr (Memory::host_accessible) {
      return runner_.outputs();
    } else {
      const std::size_t values = count * output_shape::size;
      if (host_outputs_.size() < values) host_outputs_.resize(values);
      backend_.download(CP(runner_.outputs()), host_outputs_.data(), values);
      return host_outputs_.data();
    }
  }

  template <class D>
  Evaluation evaluate_checked(const D& data, std::size_t batch_size,
                              MetricsOf<D>* metrics = nullptr) {
    check_usable(data, "evaluation");
    using L = typename D::label_value;
    const std::size_t batch = std::max<std::size_t>(1, std::min(batch_size, data.size()));
    runner_.template reserve<L>(batch, D::label_width);
    runner_.clear_record();  // the sums of every batch, read once at the end
    if (metrics) metrics->reset(data.size());
    for (std::size_t start = 0; start < data.size(); start += batch) {
      const std::size_t count = std::min(batch, data.size() - start);
      if constexpr (Memory::host_accessible) {
        // Samples are contiguous in the dataset: read them in place.
        runner_.template inference_pass<typename D::labels_type>(
            data.input(start), runner_.outputs(), count, binary_threshold, data.label(start));
      } else {
        runner_.gather_range(data, start, count);
        runner_.upload_batch(count, D::label_width * sizeof(L));
        runner_.template inference_pass<typename D::labels_type>(
            runner_.inputs(), runner_.outputs(), count, binary_threshold,
            runner_.template labels<L>());
      }
      if (metrics) {
        constexpr std::size_t width = output_shape::size;
        const T* y = outputs_on_host(count);
        for (std::size_t i = 0; i < count; ++i)
          metrics->add(y + i * width, data.label(start + i), width);
      }
    }
    const double* r = runner_.download_record();
    const double n = double(data.size());
    Evaluation e;
    e.loss = runner_.loss_sum(r) / n;
    e.accuracy = D::labels_type::kind != LabelKind::real ? runner_.correct_sum(r) / n : NAN;
    if (metrics) e.metrics = metrics->values();
    return e;
  }

  // --- Checkpoints --------------------------------------------------------------------------
  template <class D>
  void check_resume(const detail::TrainingState<T>& s, const std::string& path, std::size_t samples,
                    std::uint64_t fingerprint, const FitOptions<D>& options,
                    const std::string& hint) {
    auto refuse = [&](const std::string& why) {
      throw std::invalid_argument("fit: cannot resume from '" + path + "': " + why + hint);
    };
    if (s.samples != samples)
      refuse("it was written for " + std::to_string(s.samples) +
             " training samples, this fit has " + std::to_string(samples) +
             "; resume with the same training data");
    if (s.data_fingerprint != fingerprint)
      refuse("it was written for other training data (the same " + std::to_string(samples) +
             " samples in number, but other values or another order); resume with the same "
             "data");
    if (s.epoch > options.epochs)
      refuse("it is at epoch " + std::to_string(s.epoch) + ", beyond FitOptions::epochs = " +
             std::to_string(options.epochs) + "; give epochs >= " + std::to_string(s.epoch));
    if (s.batch_size != std::min(options.batch_size, samples))
      refuse("it was written with batch_size " + std::to_string(s.batch_size) + ", this fit uses " +
             std::to_string(std::min(options.batch_size, samples)) +
             "; resume with the same batch size");
    if (s.shuffle != options.shuffle)
      refuse(std::string("it was written with shuffle ") + (s.shuffle ? "on" : "off") +
             "; resume with the same setting");
    if (s.settings.index() != optimizer_.settings().index())
      refuse(std::string("it was written by the ") + optim::name(s.settings) +
             " optimizer, this model uses " + optimizer_.name());
    if (s.body_generators.size() != save_body_generators(body_).size())
      refuse("its random generators do not match this model's layers");
    if (s.threads != threads() && options.verbose != Verbosity::silent)
      std::cerr << "fit: '" << path << "' was written by a run on " << s.threads
                << " thread(s), this one uses " << threads()
                << ": the resumed run continues correctly but differs in the last bits from an "
                   "uninterrupted one (batches are split differently)\n";
  }

  unsigned threads() const {
    if constexpr (threaded_backend)
      return backend_.threads();
    else
      return 1;
  }
  static std::vector<Rng::State> save_body_generators(Body& body) {
    std::vector<Rng::State> out;
    body.visit_generators([&](auto& g) { out.push_back(g.state()); });
    return out;
  }
  static void restore_body_generators(Body& body, const std::vector<Rng::State>& states) {
    std::size_t i = 0;
    body.visit_generators([&](auto& g) {
      if (i < states.size()) g.set_state(states[i]);
      ++i;
    });
  }
  struct Generators {
    Rng::State model;
    std::vector<Rng::State> body;
    std::vector<std::vector<Rng::State>> replicas;
  };
  Generators save_generators() {
    Generators g{rng_.state(), save_body_generators(body_), {}};
    for (std::size_t i = 0; i < runner_.replica_count(); ++i)
      g.replicas.push_back(save_body_generators(runner_.replica_body(i)));
    return g;
  }
  void restore_generators(const Generators& g) {
    rng_.set_state(g.model);
    restore_body_generators(body_, g.body);
    runner_.prepare_replicas(unsigned(g.replicas.size()), seed_);
    for (std::size_t i = 0; i < g.replicas.size() && i < runner_.replica_count(); ++i)
      restore_body_generators(runner_.replica_body(i), g.replicas[i]);
  }

  detail::TrainingState<T> capture_state(std::size_t epoch, std::size_t batch, bool shuffle,
                                         const detail::TrainingMonitor& monitor,
                                         const History& history, const Best& best,
                                         double best_monitored) {
    detail::TrainingState<T> s;
    s.params = get_weights();
    s.state = get_state();
    s.settings = optimizer_.settings();
    s.optimizer_step = optimizer_.steps();
    for (int i = 0; i < 2; ++i) s.moments[i] = download(optimizer_.state_array(i));
    s.epoch = epoch;
    s.threads = threads();
    s.global_step = global_step_;
    s.batch_size = batch;
    s.samples = order_.size();
    s.shuffle = shuffle;
    s.seed = seed_;
    s.first_loss = monitor.first_loss();
    s.monitored_steps = monitor.steps();
    const Generators g = save_generators();
    s.model_rng = g.model;
    s.body_generators = g.body;
    s.replica_generators = g.replicas;
    s.order.assign(order_.begin(), order_.end());
    s.history = history.epochs;
    s.early_score = best.score;
    s.early_epoch = best.epoch;
    s.early_waited = best.waited;
    s.early_params = download(best.params);
    s.early_state = download(best.state);
    s.best_monitored = best_monitored;
    return s;
  }

  void apply_resume(const detail::TrainingState<T>& s, Best& best) {
    backend_.upload(s.params.data(), params_.data(), parameter_count);
    backend_.upload(s.state.data(), state_.data(), state_count);
    const T* moments[2] = {s.moments[0].data(), s.moments[1].data()};
    if (s.moments[0].size() == parameter_count && s.moments[1].size() == parameter_count)
      optimizer_.restore(backend_, s.settings, s.optimizer_step, moments, parameter_count);
    else
      optimizer_.reserve(backend_, parameter_count);
    global_step_ = s.global_step;
    seed_ = s.seed;
    runner_.set_seed(seed_);
    restore_generators({s.model_rng, s.body_generators, s.replica_generators});
    std::copy(s.order.begin(), s.order.end(), order_.begin());
    best.score = s.early_score;
    best.epoch = s.early_epoch;
    best.waited = s.early_waited;
    if (s.early_params.size() == parameter_count) {
      best.params.resize(parameter_count);
      backend_.upload(s.early_params.data(), best.params.data(), parameter_count);
    }
    adapted_ = false;
    normalization_stats_ = {};
    if (s.early_state.size() == state_count) {
      best.state.resize(state_count);
      backend_.upload(s.early_state.data(), best.state.data(), state_count);
    }
  }

  // The data checks every pass over a dataset makes, at their default levels: a class index out
  // of range would index outside the output, and NaN inputs make every loss NaN.
  template <class D>
  static void check_usable(const D& data, const std::string& role) {
    GuardPolicy policy;
    GuardReport report;
    detail::GuardSink sink(policy, report);
    detail::check_nonfinite(data, role, sink);
    detail::check_labels(data, role, sink);
  }

  template <class D>
  void check_data_guards(const D& train, const D* validation, std::size_t batch,
                         detail::GuardSink& sink, std::span<const T> weights = {}) {
    const bool leakage = sink.on(guard::data_leakage) || sink.on(guard::data_scaler_leak);
    const bool index_rows = sink.on(guard::data_duplicates) || leakage;
    auto scan = detail::scan_rows(train, sink.on(guard::data_nonfinite), index_rows);
    detail::check_nonfinite(train, "training", sink, scan.nonfinite);
    detail::check_labels(train, "training", sink);
    // What later data is compared with (TG-DATA-SHIFT at evaluate and predict).
    profile_ = {};
    profile_.fitted = true;
    // Statistics only for the guards that read them (a pass over up to 10,000 rows).
    if (sink.on(guard::data_range) || sink.on(guard::data_constant) || sink.on(guard::data_shift) ||
        sink.on(guard::data_leakage))
      profile_.stats = detail::feature_stats(train);
    const auto norm = input_normalization();
    detail::check_features(train, profile_.stats, "training", sink, norm ? &*norm : nullptr);
    detail::ColumnValues<D> columns(train);
    detail::TrainRows rows;
    if (index_rows) {
      rows = detail::check_duplicates(train, "training", sink, std::move(scan.index), columns);
      profile_.hashes.reserve(rows.index.size());
      for (const auto& [hash, row] : rows.index) profile_.hashes.push_back(hash);
      // Its upper 95% bound, as the leakage guard of fit judges it.
      profile_.twin_rate = detail::repeat_rate_bound(rows.twins, train.size());
    }
    detail::check_imbalance(train, "training", sink, weights);
    if (validation) {
      detail::check_nonfinite(*validation, "validation", sink);
      detail::check_labels(*validation, "validation", sink);
      detail::check_shift(profile_.stats, validation->inputs().data(), validation->size(),
                          input_shape::size, "validation", sink, normalizes_input);
      if (leakage)
        detail::check_leakage(train, rows, columns, profile_.stats, *validation, "validation",
                              sink);
    }
    // The backend is asked only when the guard runs and no limit is given (the CPU reads
    // /proc/meminfo, a device queries its driver).
    if (sink.on(guard::data_memory))
      detail::check_memory(memory_use(batch), batch,
                           sink.policy().memory_limit_bytes ? 0 : backend_.available_memory_bytes(),
                           sink);
  }

  // The guards evaluate and predict run on data that was not trained on, against what fit saw:
  // its scale (TG-DATA-SHIFT), rows shared with the training data (TG-DATA-LEAKAGE) and a scaler
  // fitted on the data itself (TG-DATA-SCALER-LEAK). Levels come from the last fit's policy.
  template <class D>
  void check_held_out(const D& data, const std::string& role, bool labelled) {
    last_report_ = {};
    if (guards_.all_off()) return;
    if (!profile_.fitted) {
      // A loaded model that scales its own inputs still knows their scale.
      if (!shift_reference().empty()) {
        detail::GuardSink sink(guards_, last_report_, false);
        detail::check_shift(shift_reference(), data.inputs().data(), data.size(), input_shape::size,
                            role, sink, normalizes_input);
        print_new_warnings();
      }
      return;
    }
    detail::GuardSink sink(guards_, last_report_, false);
    bool training_data = false;
    // Shared rows are leakage for evaluate (labelled data is a test set); predict only needs
    // to know whether it was given the training data.
    const std::vector<std::uint8_t> shared = detail::check_leakage_by_hash(
        profile_.hashes, profile_.twin_rate, data, role, sink, training_data, labelled);
    if (training_data) return;  // the training data itself, evaluated on purpose
    detail::check_shift(profile_.stats, data.inputs().data(), data.size(), input_shape::size, role,
                        sink, normalizes_input);
    detail::check_scaler_leak(data, shared, role, sink);
    print_new_warnings();
  }

  // A model that predicts row after row would repeat the same warning on every call: each
  // code prints once per model (last_guard_report() has every call's events). A stop throws.
  void print_new_warnings() {
    if (!guards_.print_warnings) return;
    for (const auto& e : last_report_.events) {
      if (e.level != GuardLevel::warn ||
          std::find(printed_.begin(), printed_.end(), e.code) != printed_.end())
        continue;
      printed_.push_back(e.code);
      std::cout.flush();
      std::cerr << "[" << e.code << "] warning: " << e.message << "\n";
    }
  }

  // What fit holds for a batch: the batch's inputs, outputs and output gradients, and the layer
  // buffers of one micro-batch per thread (of the whole batch where samples are coupled).
  detail::MemoryUse memory_use(std::size_t batch) const {
    const TrainingSplit split = training_split(batch);
    const unsigned parts = split.threads;
    const std::size_t layers = Body::cache_per_sample * sizeof(T);
    detail::MemoryUse use{
        training_state_bytes + (parts > 1 ? parts : 0) * parameter_count * sizeof(T),
        (input_shape::size + 2 * output_shape::size) * sizeof(T), layers,
        std::numeric_limits<std::size_t>::max()};
    if constexpr (Runner::splits_training_batches) use.layer_cap = parts * split.micro_batch;
    return use;
  }

  // ln K for a K-class cross-entropy (ln 2 for binary): the loss of uniform predictions.
  static double expected_first_loss() {
    if constexpr (Loss::family == loss::Family::categorical ||
                  Loss::family == loss::Family::sparse_categorical)
      return std::log(double(output_shape::size));
    else if constexpr (Loss::family == loss::Family::binary)
      return std::log(2.0);
    else
      return NAN;
  }

  // Slices of the flat gradient for the first and last parameterised layers, and scratch for

  // The first layer's state, Normalization's means then variances (the first 2 C state values).
  std::vector<T> normalization_state() const {
    constexpr std::size_t C = input_shape::dims[input_shape::rank - 1];
    std::vector<T> values(2 * C);
    const_cast<B&>(backend_).download(CP(state_.data()), values.data(), 2 * C);
    return values;
  }

  // The Normalization layer's statistics as the data guards use them; none without the layer
  // or before adapt (a fit resumed into a fresh model reads them from the checkpoint later).
  std::optional<detail::InputNormalization> input_normalization() const {
    if constexpr (normalizes_input) {
      constexpr std::size_t C = input_shape::dims[input_shape::rank - 1];
      const std::vector<T> values = normalization_state();
      detail::InputNormalization norm{std::vector<double>(C), std::vector<double>(C)};
      for (std::size_t c = 0; c < C; ++c) {
        if (!std::isfinite(values[c]) || !(values[C + c] > 0)) return std::nullopt;
        norm.mean[c] = double(values[c]);
        norm.sd[c] = std::sqrt(double(values[C + c]));
      }
      return norm;
    } else {
      return std::nullopt;
    }
  }

  // What TG-DATA-SHIFT compares later data with: what fit saw of its training data, or, for a
  // model not fitted in this program (loaded) that normalizes its inputs, its Normalization
  // statistics. Empty (no check) otherwise.
  const detail::FeatureStats& shift_reference() {
    if (profile_.fitted || !normalizes_input) return profile_.stats;
    if (normalization_stats_.empty())
      if (const auto norm = input_normalization())
        normalization_stats_ = detail::stats_from_normalization(*norm, input_shape::size);
    return normalization_stats_;
  }

  // Refuses to run a model whose Normalization layer has no statistics (NaN until adapt).
  void require_adapted(const char* who) const {
    if constexpr (normalizes_input) {
      if (adapted_) return;
      for (const T v : normalization_state())
        if (!std::isfinite(v))
          throw std::logic_error(
              std::string(who) +
              ": the model's first layer, Normalization, has no statistics yet; call "
              "model.adapt(train) on the training data first (it sets each channel's mean and "
              "variance, which save() then stores with the weights)");
      adapted_ = true;
    }
  }

  Body body_;
  Buf params_, grads_, state_;
  optim::Optimizer<T, Memory> optimizer_;
  B backend_;
  Runner runner_{body_, backend_, parameter_count};
  detail::TrainingProbe<Body, B, T> probe_;
  Rng rng_;
  std::vector<std::size_t> order_;
  std::uint64_t seed_ = 42;
  std::size_t global_step_ = 0;
  // What fit saw of its training data, for the guards of evaluate and predict.
  struct TrainingProfile {
    detail::FeatureStats stats;
    std::vector<std::uint64_t> hashes;  // sorted row hashes
    double twin_rate = 0;               // share of training rows equal to another
    bool fitted = false;                // the data guards of a fit have run
  } profile_;
  GuardPolicy guards_;
  GuardReport last_report_;
  std::vector<std::string> printed_;       // warning codes evaluate and predict have printed
  const Augmentation* augment_ = nullptr;  // fit's FitOptions::augment, while it runs
  std::vector<T> augment_scratch_;
  std::vector<T> host_outputs_;   // a batch's outputs, read back for metrics (device memory)
  mutable bool adapted_ = false;  // Normalization's statistics were checked or set
  detail::FeatureStats normalization_stats_;  // shift_reference from them (after load)
};

}  // namespace tensorguard
