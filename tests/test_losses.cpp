// The training losses (nn/losses.hpp) through their plug-ins and the SoftmaxLoss functor: values and
// gradients against a float64 reference and its central finite differences, and the degenerate
// settings (focal gamma = 0, FedLC tau = 0, FedRS alpha = 1) against cross-entropy bit for bit.
#include <cmath>
#include <map>
#include <random>

#include "astraea/backend/backend.hpp"
#include "astraea/nn/losses.hpp"
#include "test_helpers.hpp"

namespace astraea {
namespace {

constexpr int kClasses = 5;
constexpr int kRows = 6;  // two replicas of three rows; replica 0 trains client 1, replica 1 client 0

// Client label counts: client 0 lacks classes 1 and 3, client 1 holds every class.
const std::vector<int32_t> kHistograms = {7, 0, 2, 0, 40,  //
                                          3, 9, 1, 12, 5};

struct Case {
  std::string loss;
  std::map<std::string, double> params;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.loss;
  for (const auto& [k, v] : c.params) *os << " " << k << "=" << v;
}

// The loss of one row in float64, written from the definitions (not from the functor).
double reference_loss(const std::vector<double>& z, int y, const Case& c, int client) {
  std::vector<double> zp(z);
  const int32_t* counts = kHistograms.data() + client * kClasses;
  for (int k = 0; k < kClasses; ++k) {
    if (c.loss == "fedrs" && counts[k] == 0) zp[k] *= c.params.at("fedrs_alpha");
    if (c.loss == "fedlc") zp[k] -= c.params.at("fedlc_tau") * std::pow(std::max<double>(counts[k], 1e-8), -0.25);
  }
  double top = zp[0];
  for (double v : zp) top = std::max(top, v);
  double sum = 0;
  for (double v : zp) sum += std::exp(v - top);
  const double log_p = zp[y] - top - std::log(sum);
  const double gamma = c.loss == "focal" ? c.params.at("focal_gamma") : 0.0;
  return -std::pow(1.0 - std::exp(log_p), gamma) * log_p;
}

struct Evaluated {
  std::vector<float> loss, dlogits;
  std::vector<int32_t> predicted;
};

Evaluated evaluate(Backend& be, const TrainingLoss* loss, const std::vector<float>& logits,
                   const std::vector<int32_t>& labels, const std::vector<ReplicaStep>& steps) {
  Evaluated e{std::vector<float>(kRows), std::vector<float>(kRows * kClasses), std::vector<int32_t>(kRows)};
  SoftmaxLoss f{logits.data(), labels.data(), steps.data(), e.loss.data(), e.dlogits.data(), e.predicted.data(), 3,
                kClasses};
  if (loss) f = loss->configure(f);
  be.launch(f, 1, kRows);
  return e;
}

struct Inputs {
  std::vector<float> logits;
  std::vector<int32_t> labels = {0, 1, 4, 3, 2, -1};  // the last row is masked
  std::vector<ReplicaStep> steps = std::vector<ReplicaStep>(2);
  Inputs() {
    std::mt19937 rng(7);
    std::normal_distribution<float> n(0.0f, 2.0f);
    for (int i = 0; i < kRows * kClasses; ++i) logits.push_back(n(rng));
    steps[0].client = 1;
    steps[1].client = 0;
    steps[0].inv_valid = steps[1].inv_valid = 1.0f;  // the row's own loss, not a mean
  }
};

class LossGradients : public ::testing::TestWithParam<Case> {};

TEST_P(LossGradients, MatchFiniteDifferencesOfTheDefinition) {
  const Case& c = GetParam();
  auto be = make_backend("cpu", 1);
  const auto loss = make_loss(c.loss, c.params);
  loss->prepare(*be, kHistograms.data(), 2, kClasses);
  Inputs in;
  const Evaluated e = evaluate(*be, loss.get(), in.logits, in.labels, in.steps);
  for (int i = 0; i < kRows; ++i) {
    const int client = in.steps[i / 3].client;
    if (in.labels[i] < 0) {
      EXPECT_EQ(e.loss[i], 0.0f);
      for (int k = 0; k < kClasses; ++k) EXPECT_EQ(e.dlogits[i * kClasses + k], 0.0f);
      continue;
    }
    std::vector<double> z(in.logits.begin() + i * kClasses, in.logits.begin() + (i + 1) * kClasses);
    const double value = reference_loss(z, in.labels[i], c, client);
    EXPECT_NEAR(e.loss[i], value, 1e-5 + 1e-5 * std::fabs(value)) << c.loss << " row " << i;
    for (int k = 0; k < kClasses; ++k) {
      const double h = 1e-5;
      std::vector<double> up = z, down = z;
      up[k] += h;
      down[k] -= h;
      const double fd = (reference_loss(up, in.labels[i], c, client) - reference_loss(down, in.labels[i], c, client)) / (2 * h);
      EXPECT_NEAR(e.dlogits[i * kClasses + k], fd, 2e-5 + 2e-4 * std::fabs(fd)) << c.loss << " row " << i << " class " << k;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Losses, LossGradients,
    ::testing::Values(Case{"ce", {}}, Case{"focal", {{"focal_gamma", 2.0}}}, Case{"focal", {{"focal_gamma", 0.5}}},
                      Case{"fedlc", {{"fedlc_tau", 1.0}}}, Case{"fedlc", {{"fedlc_tau", 0.05}}},
                      Case{"fedrs", {{"fedrs_alpha", 0.3}}}, Case{"fedrs", {{"fedrs_alpha", 0.0}}}),
    [](const auto& info) {
      std::string n = info.param.loss;
      for (const auto& [k, v] : info.param.params) n += "_" + std::to_string(int(v * 100));
      return n;
    });

// The degenerate settings are cross-entropy exactly: the same bits for loss, gradient and argmax.
TEST(Losses, DegenerateSettingsAreCrossEntropyBitForBit) {
  auto be = make_backend("cpu", 1);
  Inputs in;
  const Evaluated ce = evaluate(*be, nullptr, in.logits, in.labels, in.steps);
  for (const Case& c : {Case{"ce", {}}, Case{"focal", {{"focal_gamma", 0.0}}}, Case{"fedlc", {{"fedlc_tau", 0.0}}},
                        Case{"fedrs", {{"fedrs_alpha", 1.0}}}}) {
    const auto loss = make_loss(c.loss, c.params);
    loss->prepare(*be, kHistograms.data(), 2, kClasses);
    const Evaluated e = evaluate(*be, loss.get(), in.logits, in.labels, in.steps);
    EXPECT_EQ(e.loss, ce.loss) << c.loss;
    EXPECT_EQ(e.dlogits, ce.dlogits) << c.loss;
    EXPECT_EQ(e.predicted, ce.predicted) << c.loss;
  }
}

// A certain prediction (p_y = 1 in float) has zero focal loss and gradient, never NaN.
TEST(Losses, FocalIsFiniteOnACertainPrediction) {
  auto be = make_backend("cpu", 1);
  const auto focal = make_loss("focal", {{"focal_gamma", 0.5}});
  Inputs in;
  for (int k = 0; k < kClasses; ++k) in.logits[k] = k == 0 ? 200.0f : -200.0f;
  const Evaluated e = evaluate(*be, focal.get(), in.logits, in.labels, in.steps);
  EXPECT_EQ(e.loss[0], 0.0f);
  for (int k = 0; k < kClasses; ++k) EXPECT_EQ(e.dlogits[k], 0.0f);
}

TEST(Losses, RegistryNamesAndErrors) {
  EXPECT_EQ(loss_registry().names(), (std::vector<std::string>{"ce", "focal", "fedlc", "fedrs"}));
  EXPECT_ERROR_MENTIONS(make_loss("dice", {}), "algorithm.loss", "focal");
}

}  // namespace
}  // namespace astraea
