// Reliability: no out-of-bounds access on any input, settings that cannot train are refused,
// saves that survive a crash or a full disk, corrupt files refused before the model is touched,
// and checkpoints that resume a run bit for bit (docs/reliability.md).
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <tensorguard/tensorguard.hpp>

#include "random_dataset.hpp"
#include "test_files.hpp"

namespace tg = tensorguard;
using namespace tg;

namespace {

using Sparse = loss::SparseCategoricalCrossentropy;
using Mlp = Sequential<Input<Shape<6>>, Dense<16, ReLU>, Dropout<Rate<25>>, Dense<3, Softmax>>;

using testing::temp_path;
using testing::write_bytes;
std::vector<unsigned char> file_bytes(const std::string& path) { return testing::read_bytes(path); }

// Three classes that a small MLP separates: class k has feature k shifted up.
Dataset<Shape<6>, ClassIndex<3>> separable(std::size_t n, std::uint64_t seed) {
  Rng rng(seed);
  Dataset<Shape<6>, ClassIndex<3>> d;
  float x[6];
  for (std::size_t i = 0; i < n; ++i) {
    const auto k = std::int32_t(rng.below(3));
    for (int f = 0; f < 6; ++f) x[f] = float(rng.normal()) * 0.5f + (f == k ? 1.5f : 0.f);
    d.push_back(x, std::span<const std::int32_t>(&k, 1));
  }
  return d;
}

std::vector<float> weights_of(const auto& model) { return model.get_weights(); }

// Runs fn in a child process; returns its exit status (or 128 + signal).
template <class Fn>
int in_child(Fn&& fn) {
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    int code = 1;
    try {
      code = fn();
    } catch (...) {
      code = 3;
    }
    std::_Exit(code);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

// --- Memory safety on the default path ----------------------------------------------------------

TEST_CASE("Oscillation needs six epoch losses and never reads before the first", "[reliability]") {
  GuardPolicy policy;
  policy.print_warnings = false;
  GuardReport report;
  detail::GuardSink sink(policy, report);
  detail::TrainingMonitor monitor(sink, NAN, "Adam", 1e-3);
  const double zigzag[] = {1.0, 2.0, 1.0, 2.0, 1.0, 2.0};
  for (std::size_t e = 0; e < 5; ++e) monitor.end_epoch(e + 1, zigzag[e], NAN, NAN, NAN);
  CHECK_FALSE(report.fired(guard::train_oscillation));  // five losses show only three changes
  monitor.end_epoch(6, zigzag[5], NAN, NAN, NAN);
  CHECK(report.fired(guard::train_oscillation));
}

TEST_CASE("A guarded fit of five epochs and more runs clean", "[reliability]") {
  // Under AddressSanitizer this read 8 bytes before the epoch losses at epoch 5.
  Model<Mlp, Sparse> model;
  const auto history =
      model.fit(separable(64, 1), {.epochs = 6, .batch_size = 16, .verbose = Verbosity::silent});
  CHECK(history.epochs.size() == 6);
}

TEST_CASE("find_learning_rate refuses labels fit refuses, and restores the optimizer",
          "[reliability]") {
  auto data = separable(64, 2);
  Model<Mlp, Sparse> model;
  model.fit(data, {.epochs = 1, .batch_size = 16, .verbose = Verbosity::silent});
  const long steps = model.optimizer().steps();
  REQUIRE(steps == 4);
  const std::vector<float> moment = testing::download(model, model.optimizer().state_array(0));
  const auto weights = weights_of(model);
  model.find_learning_rate(data, {.steps = 10, .batch_size = 16});
  CHECK(model.optimizer().steps() == steps);
  CHECK(moment == testing::download(model, model.optimizer().state_array(0)));
  CHECK(weights_of(model) == weights);

  data.labels()[5] = 7;  // class 7 of 3
  CHECK_THROWS_WITH(model.find_learning_rate(data), Catch::Contains("row 5 has class 7"));
  data.labels()[5] = 0;
  data.inputs()[3] = NAN;
  CHECK_THROWS_AS(model.find_learning_rate(data), GuardStop);
  CHECK_THROWS_AS(model.find_learning_rate(separable(8, 3), {.start = NAN}), std::invalid_argument);
}

TEST_CASE("find_learning_rate leaves the next fit exactly as it would have been", "[reliability]") {
  const auto data = separable(64, 4);
  Model<Mlp, Sparse> a, b;
  a.find_learning_rate(data, {.steps = 10, .batch_size = 16});
  const FitOptions<Dataset<Shape<6>, ClassIndex<3>>> options{
      .epochs = 2, .batch_size = 16, .verbose = Verbosity::silent};
  a.fit(data, options);
  b.fit(data, options);
  CHECK(weights_of(a) == weights_of(b));  // the generators were restored too
}

TEST_CASE("loss_and_gradient refuses targets that do not match the inputs", "[reliability]") {
  using D = Dataset<Shape<6>, ClassIndex<3>>;
  Model<Mlp, Sparse> model;
  const std::vector<float> x(2 * 6, 0.5f);
  const std::vector<std::int32_t> too_many(100, 1), right{0, 2}, outside{0, 3};
  CHECK_THROWS_WITH(model.loss_and_gradient<D>(x, too_many, Mode::inference),
                    Catch::Contains("12 input values and 100 target values"));
  CHECK_THROWS_WITH(model.loss_and_gradient<D>(x, outside, Mode::inference),
                    Catch::Contains("class 3 outside [0, 3)"));
  CHECK(std::isfinite(model.loss_and_gradient<D>(x, right, Mode::inference)));
}

TEST_CASE("Dataset::subset refuses a row that is not there", "[reliability]") {
  const auto data = separable(10, 5);
  const std::size_t rows[] = {0, 9, 10};
  CHECK_THROWS_WITH(data.subset(rows), Catch::Contains("row 10 but the dataset has 10 rows"));
  CHECK(data.subset(std::span<const std::size_t>(rows, 2)).size() == 2);
}

// --- Settings ----------------------------------------------------------------------------------

TEST_CASE("Optimizer settings that cannot train are refused naming the field and value",
          "[reliability]") {
  using M = Model<Mlp, Sparse>;
  CHECK_THROWS_WITH(M(optim::Adam{.learning_rate = NAN}),
                    Catch::Contains("Adam: learning_rate must be finite and positive, got nan"));
  CHECK_THROWS_WITH(M(optim::SGD{.learning_rate = -0.1}), Catch::Contains("got -0.1"));
  CHECK_THROWS_WITH(M(optim::RMSProp{.learning_rate = INFINITY}), Catch::Contains("got inf"));
  CHECK_THROWS_WITH(M(optim::SGD{.learning_rate = 0.1, .momentum = NAN}),
                    Catch::Contains("SGD: momentum must be in [0, 1), got nan"));
  CHECK_THROWS_WITH(M(optim::Adam{.beta1 = 1.0}), Catch::Contains("beta1 must be in [0, 1)"));
  CHECK_THROWS_WITH(M(optim::AdamW{.beta2 = -0.5}), Catch::Contains("beta2"));
  CHECK_THROWS_WITH(M(optim::RMSProp{.rho = 1.5}), Catch::Contains("rho"));
  CHECK_THROWS_WITH(M(optim::Adam{.epsilon = 0}), Catch::Contains("epsilon"));
  CHECK_THROWS_WITH(M(optim::AdamW{.weight_decay = -1}), Catch::Contains("weight_decay"));
  M model;
  CHECK_THROWS_AS(model.optimizer().set_learning_rate(NAN), std::invalid_argument);
  CHECK(model.optimizer().learning_rate() == Approx(1e-3));
}

TEST_CASE("A callback that sets a NaN learning rate stops fit before any weight changes",
          "[reliability]") {
  Model<Mlp, Sparse> model;
  Callback poison;
  poison.on_batch_end = [](std::size_t, double, TrainingControl& c) { c.learning_rate = NAN; };
  const auto data = separable(64, 6);
  CHECK_THROWS_WITH(
      model.fit(data, {.epochs = 2,
                       .verbose = Verbosity::silent,
                       .callbacks = {poison},
                       .guards = GuardPolicy::all(GuardLevel::off)}),
      Catch::Contains("callback set TrainingControl::learning_rate") && Catch::Contains("got nan"));
  for (float w : model.get_weights()) REQUIRE(std::isfinite(w));
}

TEST_CASE("fit refuses zero epochs and an empty validation set by name", "[reliability]") {
  Model<Mlp, Sparse> model;
  const auto data = separable(32, 7);
  const Dataset<Shape<6>, ClassIndex<3>> empty;
  CHECK_THROWS_WITH(model.fit(data, {.epochs = 0}), Catch::Contains("epochs is 0"));
  CHECK_THROWS_WITH(model.fit(data, {.validation = empty}),
                    Catch::Contains("validation dataset (FitOptions::validation) has 0 rows"));
}

TEST_CASE("TG_THREADS is parsed strictly and capped like set_threads", "[reliability]") {
  using Pool = cpu::WorkerPool;
  CHECK(Pool::parse_threads("4") == 4u);
  CHECK_FALSE(Pool::parse_threads("4abc"));
  CHECK_FALSE(Pool::parse_threads("-2"));
  CHECK_FALSE(Pool::parse_threads(" 2"));
  CHECK_FALSE(Pool::parse_threads("0"));
  CHECK_FALSE(Pool::parse_threads(""));
  CHECK(*Pool::parse_threads("99999999999999999999999") > Pool::max_threads);  // no wrap-around
  ::setenv("TG_THREADS", "64", 1);
  CHECK(Pool::default_threads() == Pool::max_threads);
  ::setenv("TG_THREADS", "4abc", 1);
  CHECK(Pool::default_threads() == 1);
  ::setenv("TG_THREADS", "2", 1);
  CHECK(Pool::default_threads() == 2);
  ::unsetenv("TG_THREADS");
  CHECK(Pool::default_threads() == 1);
  Cpu cpu(1000);
  CHECK(cpu.threads() == Pool::max_threads);
}

#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
TEST_CASE("Threads that cannot start give a clear error, not a hang or an abort", "[reliability]") {
  // An address-space limit a little above what the process uses: the workers' stacks do not fit.
  const int status = in_child([] {
    long pages = 0;
    std::ifstream("/proc/self/statm") >> pages;
    const rlim_t limit = rlim_t(pages) * rlim_t(::sysconf(_SC_PAGESIZE)) + (rlim_t(12) << 20);
    const rlimit lim{limit, limit};
    ::setrlimit(RLIMIT_AS, &lim);
    ::alarm(20);  // a hang fails the test instead of blocking it
    try {
      cpu::WorkerPool pool(8);
      return 2;  // all started: the limit did not bite
    } catch (const std::runtime_error& e) {
      return std::string(e.what()).find("could not start worker thread") != std::string::npos ? 0
                                                                                              : 4;
    }
  });
  CHECK(status == 0);
}
#endif

// --- Saving ------------------------------------------------------------------------------------

TEST_CASE("A weights file with a flipped bit, extra bytes or NaN is refused, the model unchanged",
          "[reliability]") {
  Model<Mlp, Sparse> saved{optim::Adam{}, 1};
  const auto path = temp_path("flip.tgw");
  saved.save(path);
  const auto good = file_bytes(path);
  Model<Mlp, Sparse> model{optim::Adam{}, 2};
  const auto before = weights_of(model);

  auto flipped = good;
  flipped[flipped.size() / 2] ^= 0x10;
  write_bytes(path, flipped);
  CHECK_THROWS_WITH(model.load(path), Catch::Contains("is corrupt") && Catch::Contains("checksum"));

  auto longer = good;
  longer.push_back(0);
  write_bytes(path, longer);
  CHECK_THROWS_WITH(model.load(path), Catch::Contains("is larger than any weights file of this "
                                                      "model"));  // refused before reading it all

  write_bytes(path, std::vector<unsigned char>(good.begin(), good.end() - 9));
  CHECK_THROWS_AS(model.load(path), WeightsMismatch);
  CHECK(weights_of(model) == before);

  Model<Mlp, Sparse> diverged;
  testing::edit_weights(diverged, [](auto& w) { w[100] = NAN; });
  diverged.save(path);
  CHECK_THROWS_WITH(model.load(path),
                    Catch::Contains("holds NaN at parameter 100 (layer 2 Dense<16, ReLU>)"));
  CHECK(weights_of(model) == before);

  write_bytes(path, good);
  model.load(path);
  CHECK(weights_of(model) == weights_of(saved));
  std::filesystem::remove(path);
}

TEST_CASE("A huge file is refused as weights without being read into memory", "[reliability]") {
  Model<Mlp, Sparse> model;
  const auto path = temp_path("huge.tgw");
  model.save(path);
  std::filesystem::resize_file(path, std::uintmax_t(1) << 30);  // 1 GiB, sparse on disk
  rusage before{};
  ::getrusage(RUSAGE_SELF, &before);
  CHECK_THROWS_WITH(model.load(path), Catch::Contains("is larger than any weights file"));
  rusage after{};
  ::getrusage(RUSAGE_SELF, &after);
  CHECK(after.ru_maxrss - before.ru_maxrss < 64 * 1024);  // KiB
  std::filesystem::remove(path);
}

TEST_CASE("Version 1 weights files still load", "[reliability]") {
  Model<Mlp, Sparse> saved{optim::Adam{}, 3};
  const auto path = temp_path("v1.tgw");
  saved.save(path);
  auto bytes = file_bytes(path);
  bytes[8] = 1;                    // version 1 ...
  bytes.resize(bytes.size() - 4);  // ... had no checksum
  write_bytes(path, bytes);
  Model<Mlp, Sparse> model;
  model.load(path);
  CHECK(weights_of(model) == weights_of(saved));
  bytes.push_back(7);  // but trailing bytes are refused there too
  write_bytes(path, bytes);
  CHECK_THROWS_WITH(model.load(path), Catch::Contains("1 byte follows the end of the data"));
  std::filesystem::remove(path);
}

TEST_CASE("load starts the optimizer afresh", "[reliability]") {
  Model<Mlp, Sparse> model;
  model.fit(separable(64, 8), {.epochs = 1, .batch_size = 16, .verbose = Verbosity::silent});
  REQUIRE(model.optimizer().steps() > 0);
  const auto path = temp_path("fresh.tgw");
  model.save(path);
  model.load(path);
  CHECK(model.optimizer().steps() == 0);
  for (float m : testing::download(model, model.optimizer().state_array(0))) REQUIRE(m == 0.0f);
  std::filesystem::remove(path);
}

TEST_CASE("A save that fails for lack of space leaves the previous file loadable",
          "[reliability]") {
  Model<Mlp, Sparse> first{optim::Adam{}, 4}, second{optim::Adam{}, 5};
  const auto path = temp_path("full.tgw");
  first.save(path);
  // A file-size limit makes the write fail half-way, as a full disk does.
  const int status = in_child([&] {
    ::signal(SIGXFSZ, SIG_IGN);
    const rlimit lim{300, 300};
    ::setrlimit(RLIMIT_FSIZE, &lim);
    try {
      second.save(path);
      return 2;
    } catch (const std::runtime_error& e) {
      return std::string(e.what()).find("is unchanged") != std::string::npos ? 0 : 4;
    }
  });
  CHECK(status == 0);
  Model<Mlp, Sparse> model;
  REQUIRE_NOTHROW(model.load(path));
  CHECK(weights_of(model) == weights_of(first));
  CHECK_THROWS_WITH(first.save(temp_path("no/such/dir/w.tgw")), Catch::Contains("is unchanged"));
  std::filesystem::remove(path);
}

TEST_CASE("Killing a process while it saves a large model never loses the previous file",
          "[reliability][crash]") {
  using Large = Sequential<Input<Shape<4096>>, Dense<1024, ReLU>, Dense<10, Softmax>>;  // 16.8 MB
  auto model = std::make_unique<Model<Large, Sparse>>(optim::Adam{}, 6);
  const auto path = temp_path("crash.tgw");
  model->save(path);
  const auto reference = file_bytes(path);
  Rng rng(7);
  int loadable = 0;
  const int rounds = 20;
  for (int round = 0; round < rounds; ++round) {
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid == 0) {
      for (;;) model->save(path);  // saves the same weights until killed
    }
    ::usleep(useconds_t(2000 + rng.below(60000)));
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    Model<Large, Sparse> check{optim::Adam{}, 99};
    try {
      check.load(path);
      loadable += check.get_weights()[12345] == model->get_weights()[12345];
    } catch (const std::exception& e) {
      WARN(e.what());
    }
  }
  CHECK(loadable == rounds);
  const bool unchanged = file_bytes(path) == reference;  // (16.8 MB: not printed)
  CHECK(unchanged);
  // Temporary files of killed saves may remain beside it; they are not the model's file.
  for (const auto& entry :
       std::filesystem::directory_iterator(std::filesystem::temp_directory_path()))
    if (entry.path().filename().string().starts_with(
            "." + std::filesystem::path(path).filename().string() + ".tmp-"))
      std::filesystem::remove(entry.path());
  std::filesystem::remove(path);
}

// --- Checkpoints and resume ----------------------------------------------------------------------

namespace {
template <class M>
FitOptions<Dataset<Shape<6>, ClassIndex<3>>> resumable(const Dataset<Shape<6>, ClassIndex<3>>& val,
                                                       std::size_t epochs, const std::string& path,
                                                       bool resume) {
  return {.epochs = epochs,
          .batch_size = 16,
          .validation = val,
          .verbose = Verbosity::silent,
          .early_stopping = EarlyStopping{.patience = 50},
          .checkpoint = CheckpointOptions{.path = path, .resume = resume}};
}

// 4 epochs straight, and 2 epochs in another process followed by 2 resumed here.
void check_resume_is_bit_identical(unsigned threads) {
  const auto train = separable(200, 10), val = separable(60, 11);
  using M = Model<Mlp, Sparse>;
  const auto straight_path = temp_path("straight.tgc"), path = temp_path("resumed.tgc");
  std::filesystem::remove(path);
  History full;
  std::vector<float> straight_weights;
  long straight_steps = 0;
  {  // its threads end with it: the process forks below with one thread only
    M straight;
    testing::set_threads(straight, threads);
    full = straight.fit(train, resumable<M>(val, 4, straight_path, false));
    straight_weights = weights_of(straight);
    straight_steps = straight.optimizer().steps();
  }

  const int status = in_child([&] {
    M first;
    testing::set_threads(first, threads);
    first.fit(train, resumable<M>(val, 2, path, false));
    return 0;
  });
  REQUIRE(status == 0);
  M resumed;  // a fresh model: only the file carries the run
  testing::set_threads(resumed, threads);
  const auto summary = resumed.read_checkpoint(path);
  CHECK(summary.epoch == 2);
  CHECK(summary.history.size() == 2);
  const auto rest = resumed.fit(train, resumable<M>(val, 4, path, true));
  REQUIRE(rest.epochs.size() == 4);
  CHECK(weights_of(resumed) == straight_weights);
  for (std::size_t e = 0; e < 4; ++e) {
    CHECK(rest.epochs[e].loss == full.epochs[e].loss);
    CHECK(rest.epochs[e].val_loss == full.epochs[e].val_loss);
  }
  CHECK(resumed.optimizer().steps() == straight_steps);
  std::filesystem::remove(path);
  std::filesystem::remove(straight_path);
}
}  // namespace

TEST_CASE("Training 2 epochs, then resuming for 2 more in a new process, is bit-identical",
          "[reliability][checkpoint]") {
  SECTION("one thread") { check_resume_is_bit_identical(1); }
  SECTION("two threads") { check_resume_is_bit_identical(2); }
}

TEST_CASE("Checkpoints keep the best epoch by the monitored value", "[reliability][checkpoint]") {
  const auto train = separable(120, 12), val = separable(40, 13);
  Model<Mlp, Sparse> model{optim::Adam{.learning_rate = 0.01}};
  const auto path = temp_path("latest.tgc"), best = temp_path("best.tgc");
  const auto history = model.fit(
      train, {.epochs = 5,
              .batch_size = 16,
              .validation = val,
              .verbose = Verbosity::silent,
              .checkpoint = CheckpointOptions{.path = path, .every_epochs = 2, .best_path = best}});
  std::size_t best_epoch = 1;
  for (const auto& e : history.epochs)
    if (e.val_loss < history.epochs[best_epoch - 1].val_loss) best_epoch = e.epoch;
  CHECK(model.read_checkpoint(path).epoch == 5);  // every 2 epochs and the last
  CHECK(model.read_checkpoint(best).epoch == best_epoch);
  Model<Mlp, Sparse> restored;
  restored.load(best);  // a checkpoint loads as weights too
  CHECK(restored.evaluate(val).loss == Approx(history.epochs[best_epoch - 1].val_loss));
  std::filesystem::remove(path);
  std::filesystem::remove(best);
}

TEST_CASE("Resuming from a corrupt or mismatched checkpoint is refused before anything changes",
          "[reliability][checkpoint]") {
  const auto train = separable(64, 14);
  const auto path = temp_path("refused.tgc");
  Model<Mlp, Sparse> writer;
  writer.fit(train, {.epochs = 1,
                     .batch_size = 16,
                     .verbose = Verbosity::silent,
                     .checkpoint = CheckpointOptions{.path = path}});
  Model<Mlp, Sparse> model{optim::Adam{}, 77};
  const auto before = weights_of(model);
  CHECK_THROWS_WITH(
      model.fit(train,
                {.epochs = 2, .batch_size = 32, .verbose = Verbosity::silent, .resume_from = path}),
      Catch::Contains("batch_size 16"));
  CHECK_THROWS_WITH(
      model.fit(separable(60, 15),
                {.epochs = 2, .batch_size = 16, .verbose = Verbosity::silent, .resume_from = path}),
      Catch::Contains("written for 64 training samples"));
  auto shifted = train;  // the same number of samples, other values
  shifted.inputs()[0] += 1;
  CHECK_THROWS_WITH(
      model.fit(shifted,
                {.epochs = 2, .batch_size = 16, .verbose = Verbosity::silent, .resume_from = path}),
      Catch::Contains("written for other training data"));
  Model<Mlp, Sparse> sgd{optim::SGD{}};
  CHECK_THROWS_WITH(
      sgd.fit(train,
              {.epochs = 2, .batch_size = 16, .verbose = Verbosity::silent, .resume_from = path}),
      Catch::Contains("Adam optimizer, this model uses SGD"));
  auto bytes = file_bytes(path);
  bytes[bytes.size() / 3] ^= 1;
  write_bytes(path, bytes);
  CHECK_THROWS_WITH(
      model.fit(train,
                {.epochs = 2, .batch_size = 16, .verbose = Verbosity::silent, .resume_from = path}),
      Catch::Contains("is corrupt"));
  CHECK_THROWS_WITH(model.fit(train, {.epochs = 2,
                                      .batch_size = 16,
                                      .verbose = Verbosity::silent,
                                      .resume_from = temp_path("missing.tgc")}),
                    Catch::Contains("no such file"));
  CHECK(weights_of(model) == before);
  CHECK_THROWS_WITH(
      model.fit(train,
                {.epochs = 2,
                 .verbose = Verbosity::silent,
                 .checkpoint = CheckpointOptions{.path = path, .best_path = temp_path("b")}}),
      Catch::Contains("no validation data"));
  CHECK_THROWS_WITH(
      model.fit(train, {.epochs = 2,
                        .verbose = Verbosity::silent,
                        .checkpoint = CheckpointOptions{.path = temp_path("no/such/dir/c.tgc")}}),
      Catch::Contains("which is not a directory; create it first"));
  CHECK(weights_of(model) == before);  // refused before the first epoch
  std::filesystem::remove(path);
}

TEST_CASE("A checkpoint beyond the requested epochs, or a weights file, is not resumed",
          "[reliability][checkpoint]") {
  const auto train = separable(64, 16);
  const auto path = temp_path("ahead.tgc"), weights = temp_path("plain.tgw");
  Model<Mlp, Sparse> writer;
  writer.fit(train, {.epochs = 3,
                     .batch_size = 16,
                     .verbose = Verbosity::silent,
                     .checkpoint = CheckpointOptions{.path = path}});
  writer.save(weights);
  Model<Mlp, Sparse> model;
  const FitOptions<Dataset<Shape<6>, ClassIndex<3>>> two{
      .epochs = 2,
      .batch_size = 16,
      .verbose = Verbosity::silent,
      .checkpoint = CheckpointOptions{.path = path, .resume = true}};
  CHECK_THROWS_WITH(model.fit(train, two),
                    Catch::Contains("at epoch 3, beyond FitOptions::epochs = 2") &&
                        Catch::Contains("delete it, or choose another path"));
  auto three = two;
  three.epochs = 3;
  const auto done = model.fit(train, three);  // a finished run: its history, nothing trained
  CHECK(done.epochs.size() == 3);
  CHECK(weights_of(model) == weights_of(writer));
  CHECK_THROWS_WITH(model.read_checkpoint(weights),
                    Catch::Contains("is a weights file (model.save), not a checkpoint"));
  std::filesystem::remove(path);
  std::filesystem::remove(weights);
}

TEST_CASE("Damage to a weights file's header is told apart from a newer format", "[reliability]") {
  Model<Mlp, Sparse> model;
  const auto path = temp_path("version.tgw");
  model.save(path);
  auto bytes = file_bytes(path);
  bytes[9] ^= 0x10;  // the version field: 2 -> 4098
  write_bytes(path, bytes);
  CHECK_THROWS_WITH(model.load(path), Catch::Contains("is corrupt: its format version field reads "
                                                      "4098") &&
                                          Catch::Contains("checksum does not match"));
  bytes.resize(bytes.size() - 4);  // a future version 4098 with a valid checksum
  const auto crc = detail::crc32_of(bytes);
  for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<unsigned char>(crc >> (8 * i)));
  write_bytes(path, bytes);
  CHECK_THROWS_WITH(model.load(path), Catch::Contains("written by a newer tensorguard (format "
                                                      "version 4098)"));
  std::filesystem::remove(path);
}
