// What Keras users reach for, built in: the Normalization layer and adapt.
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <locale>
#include <sstream>
#include <string>
#include <tensorguard/tensorguard.hpp>

#include "test_files.hpp"

namespace tg = tensorguard;
using Catch::Matchers::Contains;

namespace {
std::string data_path(const char* name) { return std::string(TG_TEST_DATA_DIR) + "/" + name; }
using Boston = tg::Dataset<tg::Shape<13>, tg::Real<tg::Shape<1>>>;
Boston boston() {
  return tg::data::read_csv<tg::Shape<13>, tg::Real<tg::Shape<1>>>(data_path("boston.csv"));
}

template <class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(nothing thrown)";
}
tg::FitOptions<Boston> quiet(std::size_t epochs = 1) {
  tg::FitOptions<Boston> o;
  o.epochs = epochs;
  o.verbose = tg::Verbosity::silent;
  return o;
}
}  // namespace

TEST_CASE("Normalization, adapted on the training data, is the StandardScaler inside the model",
          "[normalization]") {
  const auto all = boston();
  auto [train, test] = tg::data::split(all, 0.2, 7);
  using Raw = tg::Sequential<tg::Input<tg::Shape<13>>, tg::Normalization, tg::Dense<16, tg::ReLU>,
                             tg::Dense<1>>;
  using Scaled = tg::Sequential<tg::Input<tg::Shape<13>>, tg::Dense<16, tg::ReLU>, tg::Dense<1>>;
  tg::Model<Raw, tg::loss::MeanSquaredError> with_layer(tg::optim::Adam{.learning_rate = 1e-2}, 3);
  tg::Model<Scaled, tg::loss::MeanSquaredError> with_scaler(tg::optim::Adam{.learning_rate = 1e-2},
                                                            3);
  with_layer.adapt(train);

  // The statistics: each feature's mean and population variance over the training rows.
  const auto state = with_layer.get_state();
  REQUIRE(state.size() == 26);
  for (std::size_t f = 0; f < 13; ++f) {
    double mean = 0, square = 0;
    for (std::size_t i = 0; i < train.size(); ++i) mean += train.input(i)[f];
    mean /= double(train.size());
    for (std::size_t i = 0; i < train.size(); ++i)
      square += (train.input(i)[f] - mean) * (train.input(i)[f] - mean);
    CHECK(state[f] == Approx(mean).epsilon(1e-6));
    CHECK(state[13 + f] == Approx(square / double(train.size())).epsilon(1e-5));
  }

  // The same weights on scaled data predict the same.
  with_scaler.set_weights(with_layer.get_weights());
  tg::data::StandardScaler scaler;
  scaler.fit(train);
  auto scaled_test = test;
  scaler.transform(scaled_test);
  const auto a = with_layer.predict(test), b = with_scaler.predict(scaled_test);
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(a[i] == Approx(b[i]).margin(1e-4));

  // Trained on raw data, the model learns: its test MSE falls far below the variance of the
  // targets (about 85 for Boston).
  with_layer.fit(train, quiet(60));
  CHECK(with_layer.evaluate(test).loss < 25);
}

TEST_CASE("A model whose Normalization was never adapted refuses to run, naming adapt",
          "[normalization]") {
  const auto train = boston();
  using Net = tg::Sequential<tg::Input<tg::Shape<13>>, tg::Normalization, tg::Dense<1>>;
  tg::Model<Net, tg::loss::MeanSquaredError> model;
  for (const auto& m :
       {message_of([&] { model.fit(train, quiet()); }), message_of([&] { model.predict(train); }),
        message_of([&] { model.evaluate(train); }),
        message_of([&] { model.save(testing::temp_path("unadapted.tgw")); })}) {
    CHECK_THAT(
        m, Contains("Normalization, has no statistics yet") && Contains("call model.adapt(train)"));
  }
  CHECK_THAT(message_of([&] { model.adapt(std::span<const float>(train.input(0), 5)); }),
             Contains("5 values are not whole samples of Shape<13>"));
  auto broken = train;
  broken.inputs()[13 * 4 + 2] = NAN;
  CHECK_THAT(message_of([&] { model.adapt(broken); }),
             Contains("adapt: sample 4 holds NaN at value 2"));
  model.adapt(train);
  CHECK_NOTHROW(model.fit(train, quiet()));
}

TEST_CASE("Normalization's statistics travel with the weights file", "[normalization]") {
  const auto train = boston();
  using Net = tg::Sequential<tg::Input<tg::Shape<13>>, tg::Normalization, tg::Dense<8, tg::ReLU>,
                             tg::Dense<1>>;
  tg::Model<Net, tg::loss::MeanSquaredError> trained;
  trained.adapt(train);
  trained.fit(train, quiet(3));
  const auto path = testing::temp_path("normalized.tgw");
  trained.save(path);
  tg::Model<Net, tg::loss::MeanSquaredError> served;  // another program: no adapt, no scaler
  served.load(path);
  const float* raw = train.input(17);
  CHECK(served.predict(raw, 1) == trained.predict(raw, 1));
  std::filesystem::remove(path);
}

TEST_CASE("Normalization works per channel on images, and centres a constant channel",
          "[normalization]") {
  using Images = tg::Dataset<tg::Shape<2, 2, 3>, tg::ClassIndex<2>>;
  Images images;
  for (int s = 0; s < 4; ++s) {
    float x[12];
    for (int p = 0; p < 4; ++p) {
      x[p * 3 + 0] = float(100 + s * 4 + p);  // channel 0: 100..115
      x[p * 3 + 1] = float(-s);               // channel 1: 0, -1, -2, -3
      x[p * 3 + 2] = 7;                       // channel 2: constant
    }
    const std::int32_t y[] = {s % 2};
    images.push_back(x, y);
  }
  using Net = tg::Sequential<tg::Input<tg::Shape<2, 2, 3>>, tg::Normalization, tg::Flatten,
                             tg::Dense<2, tg::Softmax>>;
  tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model;
  model.adapt(images);
  const auto s = model.get_state();
  CHECK(s[0] == Approx(107.5));
  CHECK(s[1] == Approx(-1.5));
  CHECK(s[2] == Approx(7));
  CHECK(s[3] == Approx((256.0 - 1) / 12));  // 16 consecutive values: (n^2 - 1) / 12
  CHECK(s[4] == Approx(1.25));
  CHECK(s[5] == 1);  // centred, not divided by a zero spread
}

TEST_CASE("The range guard judges inputs after the model's Normalization", "[normalization]") {
  const auto train = boston();
  using Net = tg::Sequential<tg::Input<tg::Shape<13>>, tg::Normalization, tg::Dense<1>>;
  tg::Model<Net, tg::loss::MeanSquaredError> model;
  // Without the layer Boston's raw features fire TG-DATA-RANGE; adapted on them, it is silent.
  model.adapt(train);
  CHECK_FALSE(model.check_data(train).fired("TG-DATA-RANGE"));
  using Plain = tg::Sequential<tg::Input<tg::Shape<13>>, tg::Dense<1>>;
  tg::Model<Plain, tg::loss::MeanSquaredError> plain;
  const auto report = plain.check_data(train);
  REQUIRE(report.fired("TG-DATA-RANGE"));
  CHECK_THAT(report.find("TG-DATA-RANGE")->message, Contains("Add tg::Normalization after Input"));

  // Adapted on other data (a thousandth of the scale), the layer does not scale these inputs.
  auto small = train;
  for (auto& v : small.inputs()) v /= 1000;
  model.adapt(small);
  const auto after = model.check_data(train);
  REQUIRE(after.fired("TG-DATA-RANGE"));
  CHECK_THAT(after.find("TG-DATA-RANGE")->message,
             Contains("after the model's Normalization layer") &&
                 Contains("Call model.adapt(train) with the training data"));
}

// ---- Class and sample weights --------------------------------------------------------------

namespace {
using Pima = tg::Dataset<tg::Shape<7>, tg::Binary>;
using PimaNet = tg::Sequential<tg::Input<tg::Shape<7>>, tg::Normalization, tg::Dense<8, tg::ReLU>,
                               tg::Dense<1, tg::Sigmoid>>;
Pima pima() { return tg::data::read_csv<tg::Shape<7>, tg::Binary>(data_path("pima.csv")); }
}  // namespace

TEST_CASE("A sample weight scales that sample's loss and gradient", "[weights]") {
  // Weight 2 on a row is the row given twice; weight 0 is the row left out.
  const auto all = pima();
  Pima once = all.first(40), doubled = once, without = once.first(39);
  doubled.push_back(std::span<const float>(once.input(0), 7),
                    std::span<const float>(once.label(0), 1));
  std::vector<double> two(40, 1.0), zero(40, 1.0);
  two[0] = 2;
  zero[39] = 0;
  auto trained = [&](const Pima& data, std::vector<double> weights) {
    auto model = std::make_unique<tg::Model<PimaNet, tg::loss::BinaryCrossentropy>>(
        tg::optim::SGD{.learning_rate = 0.1}, 5);
    model->adapt(once);
    tg::FitOptions<Pima> o;
    o.epochs = 1;
    o.batch_size = 64;  // one step over every row
    o.shuffle = false;
    o.verbose = tg::Verbosity::silent;
    o.guards = tg::GuardPolicy::all(tg::GuardLevel::off);
    o.sample_weight = std::move(weights);
    const auto h = model->fit(data, o);
    return std::pair{model->get_weights(), h.last().loss};
  };
  // The loss is the mean over the batch's rows of weight x loss (Keras's sum over batch size).
  const auto [w2, loss2] = trained(once, two);
  const auto [wd, lossd] = trained(doubled, {});
  const auto [w0, loss0] = trained(once, zero);
  const auto [wn, lossn] = trained(without, {});
  CHECK(loss2 * 40 == Approx(lossd * 41).epsilon(1e-5));
  CHECK(loss0 * 40 == Approx(lossn * 39).epsilon(1e-5));
  // The updates: the same direction scaled by the batch sizes' ratio (SGD, one step).
  const auto w_initial = [&] {
    tg::Model<PimaNet, tg::loss::BinaryCrossentropy> m(tg::optim::SGD{.learning_rate = 0.1}, 5);
    return m.get_weights();
  }();
  for (std::size_t i = 0; i < w2.size(); ++i) {
    CHECK((w2[i] - w_initial[i]) * 40 == Approx((wd[i] - w_initial[i]) * 41).margin(1e-5));
    CHECK((w0[i] - w_initial[i]) * 40 == Approx((wn[i] - w_initial[i]) * 39).margin(1e-5));
  }
}

TEST_CASE("Class weights balance the loss; the imbalance guard judges the weighted counts",
          "[weights]") {
  // Pima: 500 healthy, 268 diabetic in R's full set; the shipped table is what it is.
  const auto data = pima();
  std::size_t positive = 0;
  for (std::size_t i = 0; i < data.size(); ++i) positive += data.label(i)[0] > 0.5f;
  const double n = double(data.size()), p = double(positive);
  // A rarer class to make the imbalance clear: keep one positive in six.
  Pima skewed;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < data.size(); ++i)
    if (data.label(i)[0] < 0.5f || kept++ % 6 == 0)
      skewed.push_back(std::span<const float>(data.input(i), 7),
                       std::span<const float>(data.label(i), 1));
  tg::Model<PimaNet, tg::loss::BinaryCrossentropy> model;
  model.adapt(skewed);
  const auto plain = model.check_data(skewed);
  REQUIRE(plain.fired("TG-DATA-IMBALANCE"));
  CHECK_THAT(plain.find("TG-DATA-IMBALANCE")->message,
             Contains("FitOptions::class_weight = {") && Contains("Metric::per_class_recall"));
  // The weights the guard recommends silence it.
  std::size_t sick = 0;
  for (std::size_t i = 0; i < skewed.size(); ++i) sick += skewed.label(i)[0] > 0.5f;
  const double m = double(skewed.size());
  tg::FitOptions<Pima> o;
  o.class_weight = {m / (2 * (m - double(sick))), m / (2 * double(sick))};
  CHECK_FALSE(model.check_data(skewed, o).fired("TG-DATA-IMBALANCE"));

  // Trained with them, the minority class is found far more often.
  auto recall_of_sick = [&](std::vector<double> class_weight) {
    tg::Model<PimaNet, tg::loss::BinaryCrossentropy> m2(tg::optim::Adam{.learning_rate = 1e-2}, 9);
    m2.adapt(skewed);
    tg::FitOptions<Pima> fo;
    fo.epochs = 20;
    fo.verbose = tg::Verbosity::silent;
    fo.guards = tg::GuardPolicy::all(tg::GuardLevel::off);
    fo.class_weight = std::move(class_weight);
    m2.fit(skewed, fo);
    const auto classes = m2.predict_classes(skewed);
    double found = 0;
    for (std::size_t i = 0; i < skewed.size(); ++i)
      found += skewed.label(i)[0] > 0.5f && classes[i] == 1;
    return found / double(sick);
  };
  const double unweighted = recall_of_sick({}), weighted = recall_of_sick(o.class_weight);
  CHECK(weighted > unweighted + 0.2);
  (void)n;
  (void)p;
}

TEST_CASE("Weights that cannot be meant are refused before training", "[weights]") {
  const auto data = pima();
  tg::Model<PimaNet, tg::loss::BinaryCrossentropy> model;
  model.adapt(data);
  tg::FitOptions<Pima> o;
  o.verbose = tg::Verbosity::silent;
  o.class_weight = {1, 2, 3};
  CHECK_THAT(message_of([&] { model.fit(data, o); }),
             Contains("class_weight has 3 weights for 2 classes (Binary)"));
  o.class_weight = {1, -1};
  CHECK_THAT(message_of([&] { model.fit(data, o); }),
             Contains("class_weight[1] is -1; weights must be finite and at least 0"));
  o.class_weight = {};
  o.sample_weight = {1, 2};
  CHECK_THAT(message_of([&] { model.fit(data, o); }),
             Contains("sample_weight has 2 weights for " + std::to_string(data.size()) +
                      " training rows"));
  o.sample_weight.assign(data.size(), 0.0);
  CHECK_THAT(message_of([&] { model.fit(data, o); }), Contains("every training row has weight 0"));
  const auto boston_data = boston();
  tg::Model<tg::Sequential<tg::Input<tg::Shape<13>>, tg::Normalization, tg::Dense<1>>,
            tg::loss::MeanSquaredError>
      regression;
  regression.adapt(boston_data);
  auto ro = quiet();
  ro.class_weight = {1, 2};
  CHECK_THAT(message_of([&] { regression.fit(boston_data, ro); }),
             Contains("class_weight needs class labels") && Contains("sample_weight instead"));
}

// ---- Metrics -------------------------------------------------------------------------------

TEST_CASE("ROC AUC is the chance a positive outscores a negative, ties counting half",
          "[metrics]") {
  tg::detail::MetricAccumulator<tg::Binary, float> acc({tg::Metric::auc}, 0.5f);
  acc.reset(6);
  const float scores[] = {0.1f, 0.4f, 0.35f, 0.8f, 0.4f, 0.9f};
  const float labels[] = {0, 0, 1, 1, 1, 0};
  for (int i = 0; i < 6; ++i) acc.add(&scores[i], &labels[i], 1);
  // Positives 0.35, 0.8, 0.4 against negatives 0.1, 0.4, 0.9: pairs won 1 + 2 + 1.5 of 9.
  CHECK(acc.values()[0].value == Approx(4.5 / 9));
  CHECK(acc.values()[0].name == "auc");
  acc.reset(1);
  acc.add(&scores[0], &labels[0], 1);
  CHECK(std::isnan(acc.values()[0].value));  // one class only: undefined
}

TEST_CASE("evaluate's binary metrics agree with counts taken from predict", "[metrics]") {
  const auto data = pima();
  tg::Model<PimaNet, tg::loss::BinaryCrossentropy> model(tg::optim::Adam{.learning_rate = 1e-2});
  model.adapt(data);
  model.fit(data, {.epochs = 5, .verbose = tg::Verbosity::silent});
  const auto e = model.evaluate(data, {tg::Metric::precision, tg::Metric::recall, tg::Metric::f1,
                                       tg::Metric::per_class_recall, tg::Metric::confusion_matrix});
  const auto classes = model.predict_classes(data);
  double tp = 0, fp = 0, fn = 0, tn = 0;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const bool truth = data.label(i)[0] > 0.5f, said = classes[i] == 1;
    tp += truth && said, fp += !truth && said, fn += truth && !said, tn += !truth && !said;
  }
  const double precision = tp / (tp + fp), recall = tp / (tp + fn);
  CHECK(e.get("precision") == Approx(precision));
  CHECK(e.get("recall") == Approx(recall));
  CHECK(e.get("f1") == Approx(2 * precision * recall / (precision + recall)));
  CHECK(e.get("recall_0") == Approx(tn / (tn + fp)));
  CHECK(e.get("recall_1") == Approx(recall));
  REQUIRE(e.confusion.size() == 2);
  CHECK(double(e.confusion[0][0]) == tn);
  CHECK(double(e.confusion[0][1]) == fp);
  CHECK(double(e.confusion[1][0]) == fn);
  CHECK(double(e.confusion[1][1]) == tp);
  CHECK_THAT(e.confusion_table(), Contains("true\\pred"));
  CHECK(e.get("accuracy") == Approx((tp + tn) / double(data.size())));
  const auto [loss, accuracy] = e;  // the metrics do not change how an Evaluation unpacks
  CHECK(loss == e.loss);
  CHECK(accuracy == e.accuracy);
}

TEST_CASE("fit reports MAE and RMSE for regression in the progress line and the history",
          "[metrics]") {
  const auto all = boston();
  auto [train, test] = tg::data::split(all, 0.2, 3);
  using Net = tg::Sequential<tg::Input<tg::Shape<13>>, tg::Normalization, tg::Dense<16, tg::ReLU>,
                             tg::Dense<1>>;
  tg::Model<Net, tg::loss::MeanSquaredError> model(tg::optim::Adam{.learning_rate = 1e-2});
  model.adapt(train);
  tg::FitOptions<Boston> o;
  o.epochs = 3;
  o.validation = test;
  o.verbose = tg::Verbosity::epochs;
  o.metrics = {tg::Metric::mae, tg::Metric::rmse};
  std::ostringstream printed;
  auto* old = std::cout.rdbuf(printed.rdbuf());
  const auto history = model.fit(train, o);
  std::cout.rdbuf(old);
  CHECK_THAT(printed.str(), Contains(" - mae: ") && Contains(" - rmse: ") &&
                                Contains(" - val_mae: ") && Contains(" - val_rmse: "));
  const auto& last = history.last();
  REQUIRE(last.metrics.size() == 2);
  // The validation values are the test set's, computed from predict.
  const auto y = model.predict(test);
  double abs = 0, square = 0;
  for (std::size_t i = 0; i < test.size(); ++i) {
    const double e = double(y[i]) - double(test.label(i)[0]);
    abs += std::abs(e), square += e * e;
  }
  CHECK(last.get("val_mae") == Approx(abs / double(test.size())).epsilon(1e-5));
  CHECK(last.get("val_rmse") == Approx(std::sqrt(square / double(test.size()))).epsilon(1e-5));
  CHECK(last.get("val_rmse") * last.get("val_rmse") == Approx(last.val_loss).epsilon(1e-4));
  CHECK(last.get("mae") > 0);
  CHECK(last.get("rmse") >= last.get("mae"));
}

TEST_CASE("Per-class recall and macro averages over Iris's three classes", "[metrics]") {
  using Iris = tg::Dataset<tg::Shape<4>, tg::ClassIndex<3>>;
  const auto iris = tg::data::read_csv<tg::Shape<4>, tg::ClassIndex<3>>(data_path("iris.csv"));
  using Net = tg::Sequential<tg::Input<tg::Shape<4>>, tg::Normalization, tg::Dense<8, tg::ReLU>,
                             tg::Dense<3, tg::Softmax>>;
  tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model(
      tg::optim::Adam{.learning_rate = 1e-2});
  model.adapt(iris);
  tg::FitOptions<Iris> o;
  o.epochs = 10;
  o.verbose = tg::Verbosity::silent;
  o.metrics = {tg::Metric::per_class_recall, tg::Metric::f1};
  const auto h = model.fit(iris, o);
  CHECK(h.last().metrics.size() == 4);  // recall_0..2, f1
  const auto e = model.evaluate(iris, {tg::Metric::precision, tg::Metric::recall,
                                       tg::Metric::per_class_recall, tg::Metric::confusion_matrix});
  double recall = 0, precision = 0;
  for (std::size_t k = 0; k < 3; ++k) {
    double row = 0, column = 0;
    for (std::size_t j = 0; j < 3; ++j)
      row += double(e.confusion[k][j]), column += double(e.confusion[j][k]);
    CHECK(e.get("recall_" + std::to_string(k)) == Approx(double(e.confusion[k][k]) / row));
    recall += double(e.confusion[k][k]) / row / 3;
    precision += (column > 0 ? double(e.confusion[k][k]) / column : 0) / 3;
  }
  CHECK(e.get("recall") == Approx(recall));
  CHECK(e.get("precision") == Approx(precision));
}

TEST_CASE("A metric the labels cannot have is refused, naming those they can", "[metrics]") {
  const auto data = boston();
  tg::Model<tg::Sequential<tg::Input<tg::Shape<13>>, tg::Normalization, tg::Dense<1>>,
            tg::loss::MeanSquaredError>
      model;
  model.adapt(data);
  auto o = quiet();
  o.metrics = {tg::Metric::auc};
  CHECK_THAT(message_of([&] { model.fit(data, o); }),
             Contains("metric auc does not apply to Real<Shape<1>> labels; these take mae, rmse"));
  o.metrics = {tg::Metric::mae, tg::Metric::mae};
  CHECK_THAT(message_of([&] { model.fit(data, o); }), Contains("metric mae is given twice"));
  const auto iris = tg::data::read_csv<tg::Shape<4>, tg::ClassIndex<3>>(data_path("iris.csv"));
  tg::Model<tg::Sequential<tg::Input<tg::Shape<4>>, tg::Dense<3, tg::Softmax>>,
            tg::loss::SparseCategoricalCrossentropy>
      classifier;
  tg::FitOptions<std::remove_const_t<decltype(iris)>> co;
  co.verbose = tg::Verbosity::silent;
  co.metrics = {tg::Metric::confusion_matrix};
  CHECK_THAT(message_of([&] { classifier.fit(iris, co); }),
             Contains("ask model.evaluate(data, {Metric::confusion_matrix})"));
}

// ---- Augmentation --------------------------------------------------------------------------

TEST_CASE("Augmentation flips, shifts with reflection and crops with zero padding", "[augment]") {
  // A 3 x 4 image with 2 channels: value = 10 * y + x (channel 0), negated (channel 1).
  auto image = [] {
    std::vector<float> img(3 * 4 * 2);
    for (int y = 0; y < 3; ++y)
      for (int x = 0; x < 4; ++x) {
        img[std::size_t((y * 4 + x) * 2)] = float(10 * y + x);
        img[std::size_t((y * 4 + x) * 2 + 1)] = -float(10 * y + x);
      }
    return img;
  };
  auto at = [](const std::vector<float>& img, int y, int x) {
    return img[std::size_t((y * 4 + x) * 2)];
  };
  std::vector<float> scratch;
  // Flips: over many draws about half are mirrored, and a mirrored image is exactly mirrored.
  int mirrored = 0;
  tg::Rng rng(1);
  for (int t = 0; t < 200; ++t) {
    auto img = image();
    tg::detail::augment_images(img.data(), 1, 3, 4, 2, {.flip_horizontal = true}, rng, scratch);
    if (img != image()) {
      ++mirrored;
      for (int y = 0; y < 3; ++y)
        for (int x = 0; x < 4; ++x) REQUIRE(at(img, y, x) == float(10 * y + (3 - x)));
      REQUIRE(img[1] == -img[0]);  // channels move together
    }
  }
  CHECK(mirrored > 70);
  CHECK(mirrored < 130);
  // Crop with padding: every image is the original moved by (dy, dx) in [-1, 1], zeros where
  // nothing was; shifts: the same moves, the border reflected instead.
  bool saw_zero_fill = false, saw_reflection = false;
  for (int t = 0; t < 100; ++t) {
    for (const bool crop : {true, false}) {
      auto img = image();
      tg::Augmentation a;
      (crop ? a.crop_padding : a.shift_pixels) = 1;
      tg::detail::augment_images(img.data(), 1, 3, 4, 2, a, rng, scratch);
      bool matched = false;
      for (int dy = -1; dy <= 1 && !matched; ++dy)
        for (int dx = -1; dx <= 1 && !matched; ++dx) {
          bool all = true;
          for (int y = 0; y < 3; ++y)
            for (int x = 0; x < 4; ++x) {
              int sy = y - dy, sx = x - dx;
              float want;
              if (crop) {
                want = sy < 0 || sy > 2 || sx < 0 || sx > 3 ? 0.f : float(10 * sy + sx);
              } else {
                sy = sy < 0 ? -sy : sy > 2 ? 4 - sy : sy;
                sx = sx < 0 ? -sx : sx > 3 ? 6 - sx : sx;
                want = float(10 * sy + sx);
              }
              all = all && at(img, y, x) == want;
            }
          if (all) {
            matched = true;
            if (crop && (dy || dx)) saw_zero_fill = true;
            if (!crop && (dy || dx)) saw_reflection = true;
          }
        }
      REQUIRE(matched);
    }
  }
  CHECK(saw_zero_fill);
  CHECK(saw_reflection);
}

TEST_CASE("fit augments training batches reproducibly, and only images", "[augment]") {
  using Images = tg::Dataset<tg::Shape<6, 6, 1>, tg::ClassIndex<2>>;
  Images images;
  tg::Rng draw(4);
  for (int s = 0; s < 64; ++s) {
    float x[36];
    for (auto& v : x) v = float(draw.uniform());
    const std::int32_t y[] = {x[0] > 0.5f ? 1 : 0};
    images.push_back(x, y);
  }
  using Net = tg::Sequential<tg::Input<tg::Shape<6, 6, 1>>, tg::Conv2D<4, tg::Kernel<3>, tg::ReLU>,
                             tg::Flatten, tg::Dense<2, tg::Softmax>>;
  auto run = [&](tg::Augmentation a) {
    tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model(tg::optim::Adam{}, 11);
    tg::FitOptions<Images> o;
    o.epochs = 2;
    o.batch_size = 16;
    o.verbose = tg::Verbosity::silent;
    o.guards = tg::GuardPolicy::all(tg::GuardLevel::off);
    o.augment = a;
    model.fit(images, o);
    return model.get_weights();
  };
  const tg::Augmentation a{.flip_horizontal = true, .crop_padding = 2};
  CHECK(run(a) == run(a));
  CHECK(run(a) != run({}));
  // Flat inputs cannot be flipped: refused before training.
  const auto table = boston();
  tg::Model<tg::Sequential<tg::Input<tg::Shape<13>>, tg::Normalization, tg::Dense<1>>,
            tg::loss::MeanSquaredError>
      regression;
  regression.adapt(table);
  auto ro = quiet();
  ro.augment.flip_horizontal = true;
  CHECK_THAT(message_of([&] { regression.fit(table, ro); }),
             Contains("augment flips and shifts images, but the inputs are Shape<13>"));
  tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model;
  tg::FitOptions<Images> big;
  big.augment.shift_pixels = 6;
  CHECK_THAT(message_of([&] { model.fit(images, big); }),
             Contains("moves images by up to 6 pixels, but they are 6 x 6"));
}

TEST_CASE("A resumed run keeps the metrics of the epochs before the checkpoint", "[metrics]") {
  const auto data = pima();
  const auto path = testing::temp_path("metrics.ckpt");
  std::filesystem::remove(path);
  auto options = [&](std::size_t epochs) {
    tg::FitOptions<Pima> o;
    o.epochs = epochs;
    o.verbose = tg::Verbosity::silent;
    o.metrics = {tg::Metric::auc, tg::Metric::recall};
    o.checkpoint = tg::CheckpointOptions{.path = path, .resume = true};
    return o;
  };
  tg::Model<PimaNet, tg::loss::BinaryCrossentropy> first;
  first.adapt(data);
  const auto before = first.fit(data, options(2));
  tg::Model<PimaNet, tg::loss::BinaryCrossentropy> resumed;
  const auto after = resumed.fit(data, options(3));
  REQUIRE(after.epochs.size() == 3);
  for (std::size_t e = 0; e < 2; ++e) {
    REQUIRE(after.epochs[e].metrics.size() == 2);
    CHECK(after.epochs[e].get("auc") == before.epochs[e].get("auc"));
    CHECK(after.epochs[e].get("recall") == before.epochs[e].get("recall"));
  }
  CHECK(after.epochs[2].get("auc") > 0.5);
  std::filesystem::remove(path);
}

TEST_CASE("Data scaled for a model that scales its own inputs is reported as such",
          "[normalization]") {
  const auto all = boston();
  auto [train, test] = tg::data::split(all, 0.2, 5);
  using Net = tg::Sequential<tg::Input<tg::Shape<13>>, tg::Normalization, tg::Dense<1>>;
  tg::Model<Net, tg::loss::MeanSquaredError> model;
  model.adapt(train);
  model.fit(train, quiet());
  tg::data::StandardScaler scaler;  // a habit from models without the layer
  scaler.fit(train);
  scaler.transform(test);
  model.evaluate(test);
  const auto* shift = model.last_guard_report().find("TG-DATA-SHIFT");
  REQUIRE(shift != nullptr);
  CHECK_THAT(shift->message, Contains("The model scales its own inputs (its Normalization layer): "
                                      "give it the data raw"));
}

TEST_CASE("The history CSV and SVG carry the metrics fit computed", "[metrics]") {
  const auto data = pima();
  auto [train, val] = tg::data::split(data, 0.25, 2);
  tg::Model<PimaNet, tg::loss::BinaryCrossentropy> model;
  model.adapt(train);
  tg::FitOptions<Pima> o;
  o.epochs = 2;
  o.validation = val;
  o.verbose = tg::Verbosity::silent;
  o.metrics = {tg::Metric::auc, tg::Metric::per_class_recall};
  const auto history = model.fit(train, o);
  const auto path = testing::temp_path("metrics_history.csv");
  std::locale::global(std::locale("C"));
  history.write_csv(path);
  std::ifstream in(path);
  std::string header, row;
  std::getline(in, header);
  std::getline(in, row);
  CHECK(header ==
        "epoch,loss,accuracy,val_loss,val_accuracy,seconds,learning_rate,steps,auc,val_auc,"
        "recall_0,val_recall_0,recall_1,val_recall_1");
  // The last six cells are the metrics, as fit computed them.
  std::vector<std::string> cells;
  std::stringstream split_row(row);
  for (std::string cell; std::getline(split_row, cell, ',');) cells.push_back(cell);
  REQUIRE(cells.size() == 14);
  const auto& first = history.epochs[0];
  CHECK(std::stod(cells[8]) == Approx(first.get("auc")));
  CHECK(std::stod(cells[9]) == Approx(first.get("val_auc")));
  CHECK(std::stod(cells[13]) == Approx(first.get("val_recall_1")));
  const std::string svg = history.svg();
  for (const char* name : {"val_auc", "recall_0", "recall_1", "val_loss"})
    CHECK_THAT(svg, Contains(name));
  std::filesystem::remove(path);
}

TEST_CASE("A loaded model that normalizes its inputs judges served data by its statistics",
          "[normalization]") {
  const auto train = boston();
  using Net = tg::Sequential<tg::Input<tg::Shape<13>>, tg::Normalization, tg::Dense<8, tg::ReLU>,
                             tg::Dense<1>>;
  tg::Model<Net, tg::loss::MeanSquaredError> trained;
  trained.adapt(train);
  trained.fit(train, quiet(2));
  const auto path = testing::temp_path("served.tgw");
  trained.save(path);
  tg::Model<Net, tg::loss::MeanSquaredError> served;  // another program: no fit, no data
  served.load(path);
  // Raw rows as in training: silent.
  served.predict(train);
  CHECK_FALSE(served.last_guard_report().fired("TG-DATA-SHIFT"));
  std::vector<float> row(train.input(3), train.input(3) + 13);
  served.predict(row);
  CHECK_FALSE(served.last_guard_report().fired("TG-DATA-SHIFT"));
  // A row 1000 times too large: reported, against the layer's statistics.
  for (auto& v : row) v *= 1000;
  served.predict(row);
  const auto* shift = served.last_guard_report().find("TG-DATA-SHIFT");
  REQUIRE(shift != nullptr);
  CHECK_THAT(shift->message, Contains("the range the model's Normalization statistics give"));
  std::filesystem::remove(path);
}

TEST_CASE("The learning-rate finder suggests a rate on the way down, never past the lowest loss",
          "[lr_search]") {
  // A curve as a 5,400-image Fashion-MNIST MLP gives: down to 1.8 at 0.03, up to 4.3 at 0.9,
  // then down again (a diverged softmax levels off) more steeply than on the way down.
  std::vector<double> rates, losses;
  for (int i = 0; i < 100; ++i) {
    const double r = 1e-7 * std::pow(1e8, i / 99.0), x = std::log10(r);
    rates.push_back(r);
    if (x < -4)
      losses.push_back(2.3);
    else if (x < -1.5)
      losses.push_back(2.3 - 0.5 * (x + 4) / 2.5);  // falls to 1.8
    else if (x < 0)
      losses.push_back(1.8 + 2.5 * (x + 1.5) / 1.5);  // rises to 4.3
    else
      losses.push_back(4.3 - 0.3 * x);  // falls again to 4.0, more steeply than before
  }
  const double suggested = tg::detail::suggest_rate(rates, losses);
  CHECK(suggested > 1e-4);
  CHECK(suggested < 0.0317);  // before the lowest loss
  // No fall at all before the lowest point: a tenth of the rate there.
  CHECK(tg::detail::suggest_rate({1e-3, 1e-2, 1e-1}, {1.0, 2.0, 3.0}) == Approx(1e-4));
  CHECK(std::isnan(tg::detail::suggest_rate({}, {})));
}

TEST_CASE("On a Fashion-MNIST subset the range test suggests a rate that trains", "[lr_search]") {
  // 5,400 images: the smoothed loss falls to its lowest near 0.03, diverges, and levels off
  // around 4 with a fall steeper than the first (the rate suggested there was 1.29).
  using Images = tg::Dataset<tg::Shape<28, 28, 1>, tg::ClassIndex<10>>;
  Images subset;
  try {
    auto [train, test] = tg::data::fashion_mnist();
    subset = tg::data::split(train.first(6000), 0.1, 7).first;
  } catch (const std::exception& e) {
    FAIL("Fashion-MNIST is needed (cmake/install-deps.sh installs it): " << e.what());
  }
  using Net = tg::Sequential<tg::Input<tg::Shape<28, 28, 1>>, tg::Flatten, tg::Dense<128, tg::ReLU>,
                             tg::Dense<10, tg::Softmax>>;
  tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> probe;
  const auto search = probe.find_learning_rate(subset);
  INFO("suggested " << search.suggested);
  CHECK(search.suggested < 0.05);
  tg::Model<Net, tg::loss::SparseCategoricalCrossentropy> model(
      tg::optim::Adam{.learning_rate = search.suggested});
  tg::FitOptions<Images> o;
  o.verbose = tg::Verbosity::silent;
  CHECK_NOTHROW(model.fit(subset, o));  // no TG-TRAIN-DIVERGENCE stop
  CHECK(model.evaluate(subset).accuracy > 0.6);
}

TEST_CASE("A range test whose loss levels off after diverging still suggests a rate that trains",
          "[lr_search]") {
  // Raw losses of the shape above, one per step, through the search and its smoothing.
  auto raw = [](double rate) {
    const double x = std::log10(rate);
    if (x < -4) return 2.3;
    if (x < -1.5) return 2.3 - 0.5 * (x + 4) / 2.5;
    if (x < 0) return 1.8 + 2.5 * (x + 1.5) / 1.5;
    return 4.3 - 0.3 * x;
  };
  const auto search = tg::detail::learning_rate_search(
      tg::LearningRateSearchOptions{.start = 1e-7, .end = 10, .steps = 100}, raw);
  CHECK(search.suggested > 1e-4);
  CHECK(search.suggested < 0.05);
}

TEST_CASE("balanced_class_weights gives what the imbalance guard recommends", "[weights]") {
  const auto data = pima();
  const auto w = tg::data::balanced_class_weights(data);
  REQUIRE(w.size() == 2);
  double negative = 0;
  for (std::size_t i = 0; i < data.size(); ++i) negative += data.label(i)[0] < 0.5f;
  const double n = double(data.size());
  CHECK(w[0] == Approx(n / (2 * negative)));
  CHECK(w[1] == Approx(n / (2 * (n - negative))));
  CHECK(w[0] * negative == Approx(w[1] * (n - negative)));  // each class counts n / 2
}

TEST_CASE("Early stopping watches any metric fit reports, in the direction it improves",
          "[metrics]") {
  const auto data = pima();
  auto [train, val] = tg::data::split(data, 0.25, 4);
  tg::Model<PimaNet, tg::loss::BinaryCrossentropy> model(tg::optim::Adam{.learning_rate = 1e-2});
  model.adapt(train);
  tg::FitOptions<Pima> o;
  o.epochs = 40;
  o.validation = val;
  o.verbose = tg::Verbosity::silent;
  o.early_stopping = tg::EarlyStopping{.patience = 3, .monitor = "val_auc"};
  o.metrics = {tg::Metric::auc};
  const auto h = model.fit(train, o);
  // The best epoch has the highest val_auc of the run, and the weights are its.
  double best = 0;
  for (const auto& e : h.epochs) best = std::max(best, e.get("val_auc"));
  REQUIRE(h.best_epoch > 0);
  CHECK(h.epochs[h.best_epoch - 1].get("val_auc") == best);
  CHECK(model.evaluate(val, {tg::Metric::auc}).get("auc") == Approx(best).epsilon(1e-6));
  // A name fit does not report is refused before training, listing those it does.
  o.early_stopping->monitor = "val_f1";
  CHECK_THAT(message_of([&] { model.fit(train, o); }),
             Contains("EarlyStopping::monitor is 'val_f1', which this fit does not report; it "
                      "reports loss, accuracy, auc"));
}
