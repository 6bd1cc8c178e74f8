// The model zoo and whole-model passes on the CPU backend: parameter counts and PyTorch state_dict
// names and shapes, construction errors, initialisation, R replicas in one call against R calls of
// one replica (dropout keys must follow the replica, not its slot), whole-model gradients against
// float32 finite differences of the mean cross-entropy, and the fused in-place SGD step.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "astraea/nn/model.hpp"
#include "reference_layers.hpp"
#include "test_helpers.hpp"

namespace astraea {
namespace {

namespace ref = astraea::testing::ref;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

TEST(ModelZoo, ParameterCounts) {
  EXPECT_EQ(make_model("emnist_cnn", TensorShape{28, 28, 1}, 47)->num_params(), 68873);
  EXPECT_EQ(make_model("cifar_cnn", TensorShape{32, 32, 3}, 10)->num_params(), 1250858);
  EXPECT_EQ(make_model("pfl_cnn", TensorShape{32, 32, 3}, 10)->num_params(), 1626442);
  EXPECT_EQ(make_model("mlp", TensorShape{28, 28, 1}, 10)->num_params(), 199210);
  EXPECT_EQ(make_model("logreg", TensorShape{28, 28, 1}, 10)->num_params(), 7850);
  const std::vector<std::string> names = model_names();
  for (const char* n : {"logreg", "mlp", "emnist_cnn", "cifar_cnn", "pfl_cnn"})
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
}

using Shapes = std::vector<std::pair<std::string, std::vector<int64_t>>>;

// The tensors tile the parameter vector in order, with PyTorch's names, shapes and fan-ins.
void expect_state_dict(const Model& m, const Shapes& want) {
  SCOPED_TRACE(m.name());
  const std::vector<ParamTensor> t = m.tensors();
  ASSERT_EQ(t.size(), want.size());
  int64_t offset = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    EXPECT_EQ(t[i].name, want[i].first);
    EXPECT_EQ(t[i].shape, want[i].second) << t[i].name;
    EXPECT_EQ(t[i].offset, offset) << t[i].name;
    const int64_t size = std::accumulate(t[i].shape.begin(), t[i].shape.end(), int64_t(1), std::multiplies<>());
    EXPECT_EQ(t[i].size, size) << t[i].name;
    // A bias shares its weight's fan-in: in features, or C * KH * KW.
    const std::vector<int64_t>& w = want[i - (i % 2)].second;
    const int64_t fan_in = std::accumulate(w.begin() + 1, w.end(), int64_t(1), std::multiplies<>());
    EXPECT_EQ(t[i].fan_in, fan_in) << t[i].name;
    offset += size;
  }
  EXPECT_EQ(offset, m.num_params());
}

TEST(ModelZoo, StateDictNamesAndShapes) {
  expect_state_dict(*make_model("logreg", TensorShape{28, 28, 1}, 10), {{"1.weight", {10, 784}}, {"1.bias", {10}}});
  expect_state_dict(*make_model("mlp", TensorShape{28, 28, 1}, 10),
                    {{"1.weight", {200, 784}}, {"1.bias", {200}}, {"3.weight", {200, 200}}, {"3.bias", {200}},
                     {"5.weight", {10, 200}}, {"5.bias", {10}}});
  expect_state_dict(*make_model("emnist_cnn", TensorShape{28, 28, 1}, 47),
                    {{"0.weight", {12, 1, 5, 5}}, {"0.bias", {12}}, {"2.weight", {18, 12, 3, 3}}, {"2.bias", {18}},
                     {"5.weight", {24, 18, 2, 2}}, {"5.bias", {24}}, {"8.weight", {150, 384}}, {"8.bias", {150}},
                     {"10.weight", {47, 150}}, {"10.bias", {47}}});
  expect_state_dict(*make_model("cifar_cnn", TensorShape{32, 32, 3}, 10),
                    {{"0.weight", {32, 3, 3, 3}}, {"0.bias", {32}}, {"2.weight", {32, 32, 3, 3}}, {"2.bias", {32}},
                     {"6.weight", {64, 32, 3, 3}}, {"6.bias", {64}}, {"8.weight", {64, 64, 3, 3}}, {"8.bias", {64}},
                     {"13.weight", {512, 2304}}, {"13.bias", {512}}, {"16.weight", {10, 512}}, {"16.bias", {10}}});
  expect_state_dict(*make_model("pfl_cnn", TensorShape{32, 32, 3}, 10),
                    {{"0.weight", {32, 3, 3, 3}}, {"0.bias", {32}}, {"2.weight", {64, 32, 3, 3}}, {"2.bias", {64}},
                     {"7.weight", {128, 12544}}, {"7.bias", {128}}, {"10.weight", {10, 128}}, {"10.bias", {10}}});
}

TEST(ModelZoo, BadModelsNameTrainModel) {
  EXPECT_ERROR_MENTIONS(make_model("resnet", TensorShape{28, 28, 1}, 10), "train.model", "resnet", "emnist_cnn");
  EXPECT_ERROR_MENTIONS(make_model("emnist_cnn", TensorShape{8, 8, 1}, 10), "train.model", "emnist_cnn", "8x8x1");
  EXPECT_ERROR_MENTIONS(make_model("cifar_cnn", TensorShape{6, 6, 3}, 10), "train.model", "cifar_cnn");
  EXPECT_ERROR_MENTIONS(make_model("pfl_cnn", TensorShape{5, 5, 3}, 10), "train.model", "pfl_cnn");
}

TEST(ModelInit, DeterministicSeededAndBounded) {
  for (const auto& [name, shape] :
       std::vector<std::pair<std::string, TensorShape>>{{"mlp", {28, 28, 1}}, {"emnist_cnn", {28, 28, 1}}}) {
    SCOPED_TRACE(name);
    const auto m = make_model(name, shape, 10);
    const size_t P = size_t(m->num_params());
    std::vector<float> a(P, kNaN), b(P, kNaN), c(P, kNaN);
    m->init_params(a.data(), 7);
    m->init_params(b.data(), 7);
    m->init_params(c.data(), 8);
    EXPECT_EQ(a, b);
    size_t same = 0;
    for (size_t i = 0; i < P; ++i) same += a[i] == c[i];
    EXPECT_LT(same, P / 100) << "seeds 7 and 8 draw the same weights";
    for (const ParamTensor& t : m->tensors()) {
      const double bound = 1.0 / std::sqrt(double(t.fan_in));
      double top = 0, sum = 0;
      for (int64_t i = t.offset; i < t.offset + t.size; ++i) {
        ASSERT_TRUE(std::isfinite(a[size_t(i)])) << t.name;
        ASSERT_LE(std::fabs(a[size_t(i)]), bound * (1 + 1e-6)) << t.name << "[" << i - t.offset << "]";
        top = std::max(top, std::fabs(double(a[size_t(i)])));
        sum += a[size_t(i)];
      }
      if (t.size >= 100) {  // fills the interval, centred on zero
        EXPECT_GT(top, 0.9 * bound) << t.name;
        EXPECT_LT(std::fabs(sum / double(t.size)), 0.2 * bound) << t.name;
      }
    }
  }
}

// One model_forward + model_loss_and_backward over R replicas, everything read back to the host.
struct Result {
  std::vector<float> logits, grads, loss;
  std::vector<int32_t> predicted;
};

struct Inputs {
  int R = 1, B = 1;
  const float* params = nullptr;  // [R x P]
  const float* x = nullptr;       // [R x B x input]
  const int32_t* labels = nullptr;
  const uint32_t* keys = nullptr;
  bool training = true;
};

void load(Backend& be, const Model& m, ModelWorkspace& ws, const Inputs& in) {
  const int64_t rows = int64_t(in.R) * in.B;
  be.upload(ws.activation(0), in.x, sizeof(float) * size_t(rows * m.input_shape().size()));
  be.upload(ws.labels(), in.labels, sizeof(int32_t) * size_t(rows));
  std::vector<ReplicaStep> steps(size_t(in.R));
  for (auto& s : steps) {
    s.flags = ReplicaStep::kActive;
    s.inv_valid = 1.0f / float(in.B);
  }
  be.upload(ws.steps(), steps.data(), sizeof(ReplicaStep) * steps.size());
  be.upload(ws.replica_keys(), in.keys, sizeof(uint32_t) * size_t(in.R));
}

LayerPass pass_for(Backend& be, const Model& m, const Inputs& in) {
  LayerPass p;
  p.backend = &be;
  p.replicas = in.R;
  p.batch = in.B;
  p.params = in.params;
  p.param_stride = m.num_params();
  p.training = in.training;
  p.seed = 99;
  p.step = 4;
  p.round = 1;
  return p;
}

Result train_pass(Backend& be, const Model& m, const Inputs& in) {
  ModelWorkspace ws(be, m, in.R, in.B);
  load(be, m, ws, in);
  const LayerPass p = pass_for(be, m, in);
  const int64_t rows = int64_t(in.R) * in.B, P = m.num_params();
  Result r;
  model_forward(m, ws, p);
  r.logits.resize(size_t(rows * m.classes()));
  be.download(r.logits.data(), ws.logits(), sizeof(float) * r.logits.size());
  r.grads.assign(size_t(in.R * P), kNaN);  // every parameter gradient must be written
  model_loss_and_backward(m, ws, p, GradTarget{r.grads.data(), P, 1.0f, 0.0f});
  r.loss.resize(size_t(rows));
  r.predicted.resize(size_t(rows));
  be.download(r.loss.data(), ws.loss(), sizeof(float) * r.loss.size());
  be.download(r.predicted.data(), ws.predicted(), sizeof(int32_t) * r.predicted.size());
  return r;
}

TensorShape small_input(const std::string& name) {
  if (name == "cifar_cnn" || name == "pfl_cnn") return TensorShape{32, 32, 3};
  return TensorShape{28, 28, 1};
}

// Replicas with their own parameters, inputs, labels and keys.
struct ReplicaSet {
  ReplicaSet(const Model& m, int replicas, int batch, uint32_t seed) : R(replicas), B(batch) {
    P = m.num_params();
    in = m.input_shape().size();
    params.resize(size_t(R * P));
    for (int r = 0; r < R; ++r) m.init_params(params.data() + r * P, seed + uint64_t(r));
    x = ref::uniform(size_t(int64_t(R) * B * in), 0.0f, 1.0f, seed);
    std::mt19937 gen(seed);
    for (int i = 0; i < R * B; ++i) labels.push_back(int32_t(gen() % uint32_t(m.classes())));
    for (int r = 0; r < R; ++r) keys.push_back(0x1234u + 7919u * uint32_t(r));
  }
  Inputs all(bool training) const { return Inputs{R, B, params.data(), x.data(), labels.data(), keys.data(), training}; }
  Inputs one(int r, bool training) const {
    return Inputs{1, B, params.data() + r * P, x.data() + int64_t(r) * B * in, labels.data() + r * B, keys.data() + r,
                  training};
  }
  // The same replicas in another slot order: slot s holds replica order[s].
  ReplicaSet permuted(const std::vector<int>& order) const {
    ReplicaSet s = *this;
    for (int slot = 0; slot < R; ++slot) {
      const int r = order[size_t(slot)];
      std::copy_n(params.begin() + r * P, P, s.params.begin() + slot * P);
      std::copy_n(x.begin() + int64_t(r) * B * in, int64_t(B) * in, s.x.begin() + int64_t(slot) * B * in);
      std::copy_n(labels.begin() + r * B, B, s.labels.begin() + slot * B);
      s.keys[size_t(slot)] = keys[size_t(r)];
    }
    return s;
  }
  int R, B;
  int64_t P = 0, in = 0;
  std::vector<float> params, x;
  std::vector<int32_t> labels;
  std::vector<uint32_t> keys;
};

template <typename T>
std::vector<T> slice(const std::vector<T>& v, size_t at, size_t n) {
  return std::vector<T>(v.begin() + int64_t(at), v.begin() + int64_t(at + n));
}

// Replica r of a batched result (in slot `slot`) against its own one-replica run.
void expect_same_replica(const Result& batched, int slot, const Result& one, const Model& m, int B,
                         const std::string& what) {
  SCOPED_TRACE(what);
  const size_t P = size_t(m.num_params()), L = size_t(B) * size_t(m.classes()), s = size_t(slot);
  EXPECT_TRUE(ref::all_close("logits", slice(batched.logits, s * L, L), one.logits, 1e-7, 1e-5));
  EXPECT_TRUE(ref::all_close("loss", slice(batched.loss, s * size_t(B), size_t(B)), one.loss, 1e-7, 1e-5));
  EXPECT_TRUE(ref::all_close("gradients", slice(batched.grads, s * P, P), one.grads, 1e-7, 1e-5));
  EXPECT_EQ(slice(batched.predicted, s * size_t(B), size_t(B)), one.predicted);
}

// Every model, training with dropout on: three replicas (own parameters, inputs, labels and
// dropout keys) in one call against three calls of one replica, then in another slot order.
class ModelBatched : public ::testing::TestWithParam<std::string> {};

TEST_P(ModelBatched, ReplicasInOneCallMatchOneReplicaCalls) {
  auto be = make_backend("cpu", 1);
  const std::string name = GetParam();
  const auto m = make_model(name, small_input(name), 10);
  const int B = 2;
  const ReplicaSet set(*m, 3, B, 5);
  std::vector<Result> one;
  for (int r = 0; r < set.R; ++r) one.push_back(train_pass(*be, *m, set.one(r, true)));
  const Result batched = train_pass(*be, *m, set.all(true));
  for (int r = 0; r < set.R; ++r) expect_same_replica(batched, r, one[size_t(r)], *m, B, "replica " + std::to_string(r));
  // The keys follow the replica, not its slot.
  const std::vector<int> order{2, 0, 1};
  const Result shuffled = train_pass(*be, *m, set.permuted(order).all(true));
  for (int slot = 0; slot < set.R; ++slot)
    expect_same_replica(shuffled, slot, one[size_t(order[size_t(slot)])], *m, B, "slot " + std::to_string(slot));
}

INSTANTIATE_TEST_SUITE_P(Model, ModelBatched, ::testing::ValuesIn(model_names()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

// Identical replicas that differ only in their dropout key draw different masks; in evaluation
// they agree exactly.
TEST(ModelDropout, KeysMakeIdenticalReplicasDiffer) {
  auto be = make_backend("cpu", 1);
  const auto m = make_model("emnist_cnn", TensorShape{28, 28, 1}, 10);
  ReplicaSet set(*m, 2, 2, 6);
  const int64_t P = set.P, n = int64_t(set.B) * set.in;
  std::copy_n(set.params.begin(), P, set.params.begin() + P);
  std::copy_n(set.x.begin(), n, set.x.begin() + n);
  std::copy_n(set.labels.begin(), set.B, set.labels.begin() + set.B);
  const size_t L = size_t(set.B) * 10;
  const Result train = train_pass(*be, *m, set.all(true));
  EXPECT_NE(slice(train.logits, 0, L), slice(train.logits, L, L));
  const Result eval = train_pass(*be, *m, set.all(false));
  EXPECT_EQ(slice(eval.logits, 0, L), slice(eval.logits, L, L));
  EXPECT_EQ(slice(eval.grads, 0, size_t(P)), slice(eval.grads, size_t(P), size_t(P)));
}

// Mean cross-entropy of replica r through model_forward + model_loss, summed in double.
double mean_loss(Backend& be, const Model& m, ModelWorkspace& ws, const Inputs& in, int r) {
  model_forward(m, ws, pass_for(be, m, in));
  model_loss(m, ws, pass_for(be, m, in));
  std::vector<float> loss(size_t(in.R) * size_t(in.B));
  be.download(loss.data(), ws.loss(), sizeof(float) * loss.size());
  double s = 0;
  for (int b = 0; b < in.B; ++b) s += loss[size_t(r * in.B + b)];
  return s / in.B;
}

// Which ReLU inputs of replica r are positive after the last forward: finite differences are only
// fair where no ReLU changes side within +-h.
std::vector<bool> relu_pattern(const Model& m, ModelWorkspace& ws, int r) {
  std::vector<bool> on;
  for (size_t i = 0; i < m.layers().size(); ++i) {
    if (m.layers()[i]->kind() != "relu") continue;
    const int64_t n = int64_t(ws.batch()) * m.layers()[i]->input_shape().size();
    const float* z = ws.activation(i) + r * n;  // host memory on the CPU backend
    for (int64_t k = 0; k < n; ++k) on.push_back(z[k] > 0.0f);
  }
  return on;
}

// model_loss_and_backward against central differences in float32 at 20 coordinates, alternating
// replicas: two per tensor (one at random, one among its larger gradients, so that the check is
// not all dead ReLUs), the rest at random. Central differences only measure the derivative where
// the loss is smooth: a candidate whose +-h moves some ReLU input across zero is retried with
// h / 4, then replaced by another draw of the same kind. atol covers float32 rounding of the loss,
// about 1e-7 / h.
void check_model_gradient(const std::string& name, TensorShape input, bool training) {
  SCOPED_TRACE(name + (training ? " (training)" : " (evaluation)"));
  auto be = make_backend("cpu", 1);
  const auto m = make_model(name, input, 10);
  ReplicaSet set(*m, 2, 4, 13);
  const Result analytic = train_pass(*be, *m, set.all(training));
  ASSERT_TRUE(ref::all_close("gradients finite", analytic.grads, analytic.grads, 0, 0));

  // Each slot draws candidate parameter indices for its replica.
  struct Slot {
    int replica;
    std::vector<int64_t> pool;  // empty: any parameter
  };
  std::vector<Slot> slots;
  for (const ParamTensor& t : m->tensors()) {
    std::vector<int64_t> all(size_t(t.size)), large;
    std::iota(all.begin(), all.end(), t.offset);
    const int r = 1 - int(slots.size() % 2);
    const float* g = analytic.grads.data() + r * set.P;
    float top = 0;
    for (int64_t i : all) top = std::max(top, std::fabs(g[i]));
    for (int64_t i : all)
      if (std::fabs(g[i]) >= 0.5f * top) large.push_back(i);
    slots.push_back(Slot{1 - r, all});
    slots.push_back(Slot{r, large});
  }
  while (slots.size() < 20) slots.push_back(Slot{int(slots.size() % 2), {}});

  std::mt19937 gen(17);
  ModelWorkspace ws(*be, *m, set.R, set.B);
  load(*be, *m, ws, set.all(training));
  int sizeable = 0;
  for (const Slot& slot : slots) {
    const int r = slot.replica;
    mean_loss(*be, *m, ws, set.all(training), r);
    const std::vector<bool> base = relu_pattern(*m, ws, r);
    bool done = false;
    for (int attempt = 0; attempt < 5 && !done; ++attempt) {
      const int64_t j = slot.pool.empty() ? int64_t(gen() % uint64_t(set.P)) : slot.pool[gen() % slot.pool.size()];
      float& w = set.params[size_t(r * set.P + j)];
      const float keep = w;
      for (float h : {2e-3f, 5e-4f}) {
        w = keep + h;
        const double up = mean_loss(*be, *m, ws, set.all(training), r);
        bool smooth = relu_pattern(*m, ws, r) == base;
        w = keep - h;
        const double down = mean_loss(*be, *m, ws, set.all(training), r);
        smooth = smooth && relu_pattern(*m, ws, r) == base;
        w = keep;
        if (!smooth) continue;
        const double fd = (up - down) / (double(keep + h) - double(keep - h));
        const double got = analytic.grads[size_t(r * set.P + j)];
        EXPECT_LE(std::fabs(got - fd), 4e-7 / h + 5e-2 * std::fabs(fd))
            << "replica " << r << " parameter " << j << " (h " << h << "): backward " << got
            << ", finite difference " << fd;
        sizeable += std::fabs(fd) > 3e-3;
        done = true;
        break;
      }
    }
    EXPECT_TRUE(done) << "no smooth coordinate found for a slot of replica " << r;
  }
  // Not vacuous: many coordinates carry a gradient well above the tolerance.
  EXPECT_GE(sizeable, 8);
}

TEST(ModelGradient, MlpMatchesFiniteDifferences) { check_model_gradient("mlp", TensorShape{8, 8, 1}, false); }

TEST(ModelGradient, EmnistCnnMatchesFiniteDifferences) {
  check_model_gradient("emnist_cnn", TensorShape{28, 28, 1}, false);
}

// With dropout on, the mask is a pure function of (seed, key, step, round): still deterministic.
TEST(ModelGradient, EmnistCnnWithDropoutMatchesFiniteDifferences) {
  check_model_gradient("emnist_cnn", TensorShape{28, 28, 1}, true);
}

// The trainer's direct SGD: gradients written with (-lr, 1) into the very weights being read.
TEST(ModelGradTarget, FusedSgdInPlaceIsAStep) {
  auto be = make_backend("cpu", 1);
  for (const std::string name : {"mlp", "emnist_cnn"}) {
    SCOPED_TRACE(name);
    const auto m = make_model(name, TensorShape{28, 28, 1}, 10);
    ReplicaSet set(*m, 2, 3, 21);
    const Result plain = train_pass(*be, *m, set.all(true));
    const float lr = 0.1f;
    std::vector<float> expect(set.params.size());
    for (size_t i = 0; i < expect.size(); ++i) expect[i] = set.params[i] - lr * plain.grads[i];

    ModelWorkspace ws(*be, *m, set.R, set.B);
    const Inputs in = set.all(true);
    load(*be, *m, ws, in);
    const LayerPass p = pass_for(*be, *m, in);
    model_forward(*m, ws, p);
    model_loss_and_backward(*m, ws, p, GradTarget{set.params.data(), set.P, -lr, 1.0f});
    EXPECT_TRUE(ref::all_close("in-place SGD step", set.params, expect, 1e-6, 1e-6));
  }
}

}  // namespace
}  // namespace astraea
