// Checkpoints: everything fit needs to continue a run as if it had never stopped — parameters,
// normalisation state, optimizer settings, moments and step count, the epoch, every random
// generator, the shuffled order, early stopping's best weights and the history so far.
// File layout (little-endian, docs/reliability.md):
//   "TGCHECKP" | u32 version (1) | the weights file's model part (scalar size, records, values)
//   | optimizer | counters | generators | order | history | early stopping
//   | (version 2) each epoch's metrics: u64 count, then (name, value, val_value) | u32 CRC-32
// Written atomically like the weights file; read whole, checksum first, every count checked
// against the bytes that remain, and nothing applied to the model before all of it is valid.
#pragma once
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "../core/random.hpp"
#include "../detail/config.hpp"
#include "../optim/optimizer.hpp"
#include "../training/history.hpp"
#include "weights_file.hpp"

namespace tensorguard {

// FitOptions::checkpoint (Keras's ModelCheckpoint and BackupAndRestore in one).
struct CheckpointOptions {
  std::string path;                  // the latest training state, replaced atomically
  std::size_t every_epochs = 1;      // write it after every this many epochs (and the last one)
  bool resume = false;               // if `path` exists when fit starts, continue from it
  std::string best_path{};           // also keep the best epoch's checkpoint here (by `monitor`)
  std::string monitor = "val_loss";  // val_loss or loss (lower is better), val_accuracy or
                                     // accuracy (higher is better)
};

// What a checkpoint file holds, as model.read_checkpoint(path) reports it.
struct CheckpointSummary {
  std::size_t epoch = 0;       // epochs completed
  std::size_t batch_size = 0;  // the run's batch size and training-set size
  std::size_t samples = 0;
  std::string optimizer;  // "Adam", ...
  long optimizer_steps = 0;
  std::vector<EpochLogs> history;
};

namespace detail {

inline constexpr char checkpoint_magic[8] = {'T', 'G', 'C', 'H', 'E', 'C', 'K', 'P'};
// Version 2 adds the history's metrics (FitOptions::metrics); version 1 files still read.
inline constexpr std::uint32_t checkpoint_version = 2;

template <class T>
struct TrainingState {
  std::vector<T> params, state;
  optim::Settings settings;
  long optimizer_step = 0;
  std::vector<T> moments[2];
  std::size_t epoch = 0, global_step = 0, batch_size = 0, samples = 0;
  std::uint64_t data_fingerprint = 0;  // of the training set (Dataset::fingerprint)
  std::uint32_t threads = 1;           // the backend's threads (the split of each batch)
  bool shuffle = true;
  std::uint64_t seed = 0;
  double first_loss = NAN;  // the guards' memory of the run
  std::size_t monitored_steps = 0;
  Rng::State model_rng{};
  std::vector<Rng::State> body_generators;
  std::vector<std::vector<Rng::State>> replica_generators;
  std::vector<std::uint64_t> order;
  std::vector<EpochLogs> history;
  double early_score = INFINITY;  // early stopping: its best epoch so far (0: none yet)
  std::size_t early_epoch = 0, early_waited = 0;
  std::vector<T> early_params, early_state;
  double best_monitored = NAN;  // CheckpointOptions::best_path's best value so far
};

// Fold helpers: nvcc's front end rejects range-for over braced lists of member accesses.
template <class V, class... Vs>
void put_each(ByteWriter& w, Vs... values) {
  (w.put(V(values)), ...);
}
template <class V, class... Ps>
void get_each(WeightsReader& r, Ps*... targets) {
  ((*targets = static_cast<Ps>(r.get<V>())), ...);
}

#if TG_HEADER_DEFINITIONS
TG_OUT_OF_LINE void put_settings(ByteWriter& w, const optim::Settings& settings) {
  w.put(std::uint32_t(settings.index()));
  std::visit(
      [&](const auto& s) {
        using S = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<S, optim::SGD>)
          put_each<double>(w, s.learning_rate, s.momentum, s.nesterov ? 1.0 : 0.0);
        else if constexpr (std::is_same_v<S, optim::Adam>)
          put_each<double>(w, s.learning_rate, s.beta1, s.beta2, s.epsilon);
        else if constexpr (std::is_same_v<S, optim::AdamW>)
          put_each<double>(w, s.learning_rate, s.weight_decay, s.beta1, s.beta2, s.epsilon);
        else
          put_each<double>(w, s.learning_rate, s.rho, s.momentum, s.epsilon);
      },
      settings);
}
#else
void put_settings(ByteWriter& w, const optim::Settings& settings);
#endif

#if TG_HEADER_DEFINITIONS
TG_OUT_OF_LINE optim::Settings get_settings(WeightsReader& r) {
  const auto index = r.get<std::uint32_t>();
  auto d = [&] { return r.get<double>(); };
  optim::Settings out;
  switch (index) {
    case 0:
      out = optim::Adam{d(), d(), d(), d()};
      break;
    case 1: {
      const double lr = d(), momentum = d(), nesterov = d();
      out = optim::SGD{lr, momentum, nesterov != 0};
      break;
    }
    case 2:
      out = optim::AdamW{d(), d(), d(), d(), d()};
      break;
    case 3:
      out = optim::RMSProp{d(), d(), d(), d()};
      break;
    default:
      r.corrupt("it names optimizer kind " + std::to_string(index));
  }
  try {
    optim::validate(out);
  } catch (const std::invalid_argument& e) {
    r.corrupt(std::string("its optimizer settings are invalid: ") + e.what());
  }
  return out;
}
#else
optim::Settings get_settings(WeightsReader& r);
#endif

inline void put_rng(ByteWriter& w, const Rng::State& s) {
  for (auto word : s.words) w.put(word);
  w.put(s.spare);
  w.put(std::uint8_t(s.has_spare));
}
inline Rng::State get_rng(WeightsReader& r) {
  Rng::State s{};
  for (auto& word : s.words) word = r.get<std::uint64_t>();
  s.spare = r.get<double>();
  s.has_spare = r.get<std::uint8_t>() != 0;
  return s;
}
inline constexpr std::size_t rng_bytes = 4 * 8 + 8 + 1;

inline void put_logs(ByteWriter& w, const EpochLogs& e) {
  w.put(std::uint64_t(e.epoch));
  put_each<double>(w, e.loss, e.accuracy, e.val_loss, e.val_accuracy, e.seconds, e.learning_rate);
  w.put(std::uint64_t(e.steps));
}
inline EpochLogs get_logs(WeightsReader& r) {
  EpochLogs e;
  e.epoch = std::size_t(r.get<std::uint64_t>());
  get_each<double>(r, &e.loss, &e.accuracy, &e.val_loss, &e.val_accuracy, &e.seconds,
                   &e.learning_rate);
  e.steps = std::size_t(r.get<std::uint64_t>());
  return e;
}
inline constexpr std::size_t logs_bytes = 8 + 6 * 8 + 8;

template <class T>
std::vector<unsigned char> checkpoint_bytes(const std::vector<LayerRecord>& records,
                                            const TrainingState<T>& s) {
  ByteWriter w;
  w.reserve(4096 + (3 * s.params.size() + s.early_params.size()) * sizeof(T) + s.order.size() * 8);
  for (char c : checkpoint_magic) w.put(c);
  w.put(checkpoint_version);
  put_model(w, records, s.params.data(), s.params.size(), s.state.data(), s.state.size());
  put_settings(w, s.settings);
  w.put(std::int64_t(s.optimizer_step));
  for (const auto& m : s.moments) w.put_array(m.data(), m.size());
  put_each<std::uint64_t>(w, s.epoch, s.global_step, s.batch_size, s.samples, s.monitored_steps,
                          s.data_fingerprint);
  w.put(s.threads);
  w.put(std::uint8_t(s.shuffle));
  w.put(s.seed);
  w.put(s.first_loss);
  put_rng(w, s.model_rng);
  w.put(std::uint64_t(s.body_generators.size()));
  for (const auto& g : s.body_generators) put_rng(w, g);
  w.put(std::uint64_t(s.replica_generators.size()));
  for (const auto& replica : s.replica_generators) {
    w.put(std::uint64_t(replica.size()));
    for (const auto& g : replica) put_rng(w, g);
  }
  w.put_array(s.order.data(), s.order.size());
  w.put(std::uint64_t(s.history.size()));
  for (const auto& e : s.history) put_logs(w, e);
  w.put(s.early_score);
  w.put(std::uint64_t(s.early_epoch));
  w.put(std::uint64_t(s.early_waited));
  w.put_array(s.early_params.data(), s.early_params.size());
  w.put_array(s.early_state.data(), s.early_state.size());
  w.put(s.best_monitored);
  for (const auto& e : s.history) {
    w.put(std::uint64_t(e.metrics.size()));
    for (const auto& m : e.metrics) {
      w.put(m.name);
      put_each<double>(w, m.value, m.val_value);
    }
  }
  w.seal();
  return w.bytes();
}

// Parses and checks a checkpoint for a model with these records and counts; throws
// WeightsMismatch (or std::runtime_error for an unreadable file) naming what is wrong.
// `who` says who reads it, for messages ("fit: resume_from", "read_checkpoint", "load").
template <class T>
TrainingState<T> parse_checkpoint(std::span<const unsigned char> bytes, const std::string& path,
                                  const std::vector<LayerRecord>& records, std::size_t n_params,
                                  std::size_t n_state, const std::string& who) {
  const std::string subject = who + ": '" + path + "'";
  if (bytes.size() >= 8 && std::equal(bytes.begin(), bytes.begin() + 8, weights_magic))
    throw WeightsMismatch(subject +
                          " is a weights file (model.save), not a checkpoint: it holds "
                          "no training state to resume; use model.load for weights");
  if (bytes.size() < 8 || !std::equal(bytes.begin(), bytes.begin() + 8, checkpoint_magic))
    throw WeightsMismatch(subject + " is not a tensorguard checkpoint");
  WeightsReader r(bytes, reading(subject, "checkpoint"));
  char magic[8];
  r.read(magic, 8);
  const auto version = r.get<std::uint32_t>();
  if (version != 1 && version != checkpoint_version)
    unknown_version(bytes, subject, version, "version 1 or " + std::to_string(checkpoint_version));
  if (bytes.size() < 16) r.corrupt("it is only " + std::to_string(bytes.size()) + " bytes long");
  verify_checksum(bytes, subject);
  r = WeightsReader(bytes.first(bytes.size() - 4), reading(subject, "checkpoint"));
  r.read(magic, 8);
  r.get<std::uint32_t>();
  TrainingState<T> s;
  s.params.resize(n_params);
  s.state.resize(n_state);
  get_model(r, subject, records, s.params.data(), n_params, s.state.data(), n_state);
  s.settings = get_settings(r);
  s.optimizer_step = long(r.get<std::int64_t>());
  if (s.optimizer_step < 0) r.corrupt("its optimizer step count is negative");
  for (auto& m : s.moments) {
    const std::size_t n = r.get_count(sizeof(T), "an optimizer moment array");
    if (n != 0 && n != n_params)
      r.corrupt("an optimizer moment array holds " + std::to_string(n) + " values for " +
                std::to_string(n_params) + " parameters");
    m.resize(n);
    r.read(m.data(), n * sizeof(T));
  }
  get_each<std::uint64_t>(r, &s.epoch, &s.global_step, &s.batch_size, &s.samples,
                          &s.monitored_steps, &s.data_fingerprint);
  s.threads = r.get<std::uint32_t>();
  s.shuffle = r.get<std::uint8_t>() != 0;
  s.seed = r.get<std::uint64_t>();
  s.first_loss = r.get<double>();
  s.model_rng = get_rng(r);
  s.body_generators.resize(r.get_count(rng_bytes, "the generator list"));
  for (auto& g : s.body_generators) g = get_rng(r);
  s.replica_generators.resize(r.get_count(8, "the replica list"));
  if (s.replica_generators.size() > 64) r.corrupt("it lists too many thread replicas");
  for (auto& replica : s.replica_generators) {
    replica.resize(r.get_count(rng_bytes, "a replica's generator list"));
    for (auto& g : replica) g = get_rng(r);
  }
  s.order.resize(r.get_count(8, "the sample order"));
  r.read(s.order.data(), s.order.size() * 8);
  if (s.order.size() != s.samples)
    r.corrupt("its sample order has " + std::to_string(s.order.size()) + " entries for " +
              std::to_string(s.samples) + " samples");
  std::vector<bool> seen(s.order.size());
  for (auto i : s.order) {
    if (i >= s.order.size() || seen[i]) r.corrupt("its sample order is not a permutation");
    seen[i] = true;
  }
  s.history.resize(r.get_count(logs_bytes, "the history"));
  for (auto& e : s.history) e = get_logs(r);
  if (s.history.size() != s.epoch)
    r.corrupt("its history has " + std::to_string(s.history.size()) +
              " epochs but it was written after epoch " + std::to_string(s.epoch));
  s.early_score = r.get<double>();
  s.early_epoch = std::size_t(r.get<std::uint64_t>());
  s.early_waited = std::size_t(r.get<std::uint64_t>());
  std::vector<T>* early[2] = {&s.early_params, &s.early_state};
  for (auto* a : early) {
    const std::size_t n = r.get_count(sizeof(T), "early stopping's best weights");
    const std::size_t want = a == &s.early_params ? n_params : n_state;
    if (n != 0 && n != want) r.corrupt("early stopping's best weights have the wrong size");
    a->resize(n);
    r.read(a->data(), n * sizeof(T));
  }
  s.best_monitored = r.get<double>();
  if (version >= 2)
    for (auto& e : s.history) {
      e.metrics.resize(r.get_count(4 + 16, "an epoch's metrics"));
      for (auto& m : e.metrics) {
        m.name = r.get_string(64);
        get_each<double>(r, &m.value, &m.val_value);
      }
    }
  r.expect_end();
  const std::vector<T>* saved[4] = {&s.moments[0], &s.moments[1], &s.early_params, &s.early_state};
  for (const auto* a : saved)
    for (T v : *a)
      if (!std::isfinite(v)) r.corrupt("an optimizer moment or a saved best weight is NaN or Inf");
  // xoshiro's all-zero state only ever yields zeros.
  auto zero = [](const Rng::State& g) {
    return !(g.words[0] | g.words[1] | g.words[2] | g.words[3]);
  };
  bool any_zero = zero(s.model_rng);
  for (const auto& g : s.body_generators) any_zero = any_zero || zero(g);
  for (const auto& replica : s.replica_generators)
    for (const auto& g : replica) any_zero = any_zero || zero(g);
  if (any_zero) r.corrupt("a random generator's state is all zero");
  return s;
}

template <class T>
TrainingState<T> read_checkpoint(const std::string& path, const std::vector<LayerRecord>& records,
                                 std::size_t n_params, std::size_t n_state,
                                 const std::string& who) {
  const auto bytes = read_whole_file(path, who);
  return parse_checkpoint<T>(std::span<const unsigned char>(bytes), path, records, n_params,
                             n_state, who);
}

inline bool is_checkpoint(std::span<const unsigned char> bytes) {
  return bytes.size() >= 8 && std::equal(bytes.begin(), bytes.begin() + 8, checkpoint_magic);
}

#if defined(TG_SEPARATE_COMPILATION)
#define TG_CHECKPOINT_INSTANCES(T)                                                         \
  TG_EXTERN_TEMPLATE std::vector<unsigned char> checkpoint_bytes<T>(                       \
      const std::vector<LayerRecord>&, const TrainingState<T>&);                           \
  TG_EXTERN_TEMPLATE TrainingState<T> parse_checkpoint<T>(                                 \
      std::span<const unsigned char>, const std::string&, const std::vector<LayerRecord>&, \
      std::size_t, std::size_t, const std::string&);                                       \
  TG_EXTERN_TEMPLATE TrainingState<T> read_checkpoint<T>(                                  \
      const std::string&, const std::vector<LayerRecord>&, std::size_t, std::size_t,       \
      const std::string&);
TG_CHECKPOINT_INSTANCES(float)
TG_CHECKPOINT_INSTANCES(double)
#undef TG_CHECKPOINT_INSTANCES
#endif

}  // namespace detail
}  // namespace tensorguard
