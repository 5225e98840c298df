// libFuzzer harness: Model::load (weights files v1 and v2, and checkpoints), read_checkpoint and
// resuming fit from a checkpoint, on arbitrary file contents.
//
// The first input byte chooses a mode; the rest is the file. Mode bit 0 re-seals the file (its
// last 4 bytes become the CRC-32 of the rest), so mutations reach the parser behind the checksum.
//
// Invariants: only the documented exceptions (WeightsMismatch, std::runtime_error from reading,
// std::invalid_argument from a refused resume); a failed load leaves the parameters, the
// normalisation state and the optimizer exactly as they were; a successful load leaves only
// finite parameters and a fresh optimizer; a checkpoint that reads has one history entry per
// epoch; a resumed fit returns the checkpoint's history plus the epochs it ran.
//
// Built with -DTG_FUZZ_MAKE_CORPUS it is instead a program that writes the seed corpus into
// the folder given as its argument (fuzz/corpus/weights/).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <tensorguard/tensorguard.hpp>
#include <vector>

#include "fuzz_check.hpp"

namespace tg = tensorguard;

namespace {

using Net =
    tg::Sequential<tg::Input<tg::Shape<4>>, tg::Dense<5>, tg::BatchNormalization,
                   tg::Activation<tg::ReLU>, tg::Dropout<tg::Rate<25>>, tg::Dense<3, tg::Softmax>>;
using Model = tg::Model<Net, tg::loss::SparseCategoricalCrossentropy>;
using Data = tg::Dataset<tg::Shape<4>, tg::ClassIndex<3>>;

Data eight_samples() {
  Data d;
  tg::Rng rng(5);
  for (int i = 0; i < 8; ++i) {
    float x[4];
    for (float& v : x) v = float(rng.uniform(-1, 1));
    const std::int32_t k = i % 3;
    d.push_back(x, std::span<const std::int32_t>(&k, 1));
  }
  return d;
}

tg::FitOptions<Data> quiet(std::size_t epochs) {
  return {.epochs = epochs,
          .batch_size = 8,
          .verbose = tg::Verbosity::silent,
          .guards = tg::GuardPolicy::all(tg::GuardLevel::off)};
}

std::string temp_file() { return "/tmp/tg_fuzz_weights_" + std::to_string(::getpid()) + ".bin"; }

template <class M>
std::vector<float> snapshot(M& m) {
  std::vector<float> out(m.parameters().begin(), m.parameters().end());
  out.insert(out.end(), m.state().begin(), m.state().end());
  for (int i = 0; i < 2; ++i)
    out.insert(out.end(), m.optimizer().state_array(i).begin(), m.optimizer().state_array(i).end());
  out.push_back(float(m.optimizer().steps()));
  return out;
}

}  // namespace

#ifndef TG_FUZZ_MAKE_CORPUS
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t mode = bytes[0];
  std::vector<unsigned char> file(bytes + 1, bytes + size);
  if ((mode & 1) && file.size() >= 4) {
    const std::uint32_t crc =
        tg::detail::crc32_of(std::span<const unsigned char>(file).first(file.size() - 4));
    std::memcpy(file.data() + file.size() - 4, &crc, 4);
  }
  const std::string path = temp_file();
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(file.data()), std::streamsize(file.size()));

  static const Data data = eight_samples();
  Model model;
  model.fit(data, quiet(1));  // moments and a step count that a failed load must keep
  const auto before = snapshot(model);
  try {
    model.load(path);
    for (float w : model.parameters()) TG_FUZZ_CHECK(std::isfinite(w), "a loaded NaN/Inf");
    TG_FUZZ_CHECK(model.optimizer().steps() == 0, "load kept the optimizer's step count");
  } catch (const tg::WeightsMismatch&) {
    TG_FUZZ_CHECK(snapshot(model) == before, "a failed load changed the model");
  } catch (const std::runtime_error&) {
    TG_FUZZ_CHECK(snapshot(model) == before, "a failed load changed the model");
  }

  Model resumed;
  const auto fresh = snapshot(resumed);
  tg::CheckpointSummary summary;
  try {
    summary = resumed.read_checkpoint(path);
  } catch (const std::runtime_error&) {
    TG_FUZZ_CHECK(snapshot(resumed) == fresh, "read_checkpoint changed the model");
    return 0;
  }
  TG_FUZZ_CHECK(summary.history.size() == summary.epoch, "%zu epochs of history for epoch %zu",
                summary.history.size(), summary.epoch);
  if (summary.epoch > 1000) return 0;
  auto options = quiet(summary.epoch + 1);
  options.resume_from = path;
  try {
    const auto history = resumed.fit(data, options);
    TG_FUZZ_CHECK(
        history.epochs.size() >= summary.epoch && history.epochs.size() <= summary.epoch + 1,
        "a resumed fit returned %zu epochs after epoch %zu", history.epochs.size(), summary.epoch);
  } catch (const std::invalid_argument&) {
    TG_FUZZ_CHECK(snapshot(resumed) == fresh, "a refused resume changed the model");
  }
  return 0;
}
#else
int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const std::string dir = argv[1];
  const Data data = eight_samples();
  auto seed = [&](const std::string& name, const std::string& file, std::uint8_t mode) {
    std::ifstream in(file, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream out(dir + "/" + name, std::ios::binary);
    out.put(char(mode));
    out.write(bytes.data(), std::streamsize(bytes.size()));
  };
  const std::string tmp = temp_file();
  Model model;
  model.save(tmp);
  seed("weights_v2", tmp, 0);
  seed("weights_v2_resealed", tmp, 1);
  auto options = quiet(2);
  options.checkpoint = tg::CheckpointOptions{.path = tmp};
  options.early_stopping = tg::EarlyStopping{.patience = 5};
  model.fit(data, options);
  seed("checkpoint", tmp, 0);
  seed("checkpoint_resealed", tmp, 1);
  std::remove(tmp.c_str());
  return 0;
}
#endif
