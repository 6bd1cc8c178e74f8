// The CUDA backend against the CPU backend, its twin: every layer of every model forward and
// backward, the trainer's tiled schedule, augmentation, and a whole short run. Each test skips
// itself when no CUDA device is present (CI has none); the file is built only with CUDA.
#include <cmath>

#include "astraea/backend/backend.hpp"
#include "astraea/backend/device_all_reduce.hpp"
#include "astraea/backend/device_info.hpp"
#include "astraea/data/augmentation.hpp"
#include "astraea/data/partition.hpp"
#include "astraea/data/synthetic.hpp"
#include "astraea/fl/federated_run.hpp"
#include "astraea/fl/mediator_scheduler.hpp"
#include "astraea/fl/synthetic_population.hpp"
#include "astraea/nn/model.hpp"
#include "op_cases.hpp"
#include "synthetic_federation.hpp"
#include "test_helpers.hpp"

namespace astraea {
namespace {

class CudaTwin : public ::testing::Test {
 protected:
  void SetUp() override {
    if (cuda_devices().empty()) GTEST_SKIP() << cuda_status();
    cpu = make_backend("cpu", 2);
    gpu = make_backend("cuda");
  }
  std::unique_ptr<Backend> cpu, gpu;
};

// |a - ref| <= atol + rtol * |ref|, NaN/Inf always failing.
void expect_close(const std::vector<float>& a, const std::vector<float>& ref, double rtol, double atol, const char* what) {
  ASSERT_EQ(a.size(), ref.size()) << what;
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_TRUE(std::isfinite(a[i])) << what << " element " << i;
    ASSERT_LE(std::fabs(a[i] - ref[i]), atol + rtol * std::fabs(ref[i])) << what << " element " << i;
  }
}

// ||a - ref|| / ||ref|| over all elements, NaN/Inf in `a` failing. Whole runs are compared this way:
// the backends sum GEMMs in different orders (each product off by about sqrt(k) * 6e-8 relative,
// k <= 3,136 here), and three rounds of chained SGD steps carry those differences into every
// parameter; an element near zero can differ by more than any per-element bound while the model is
// the same. 1e-3 is ten times that estimate over ~100 steps, and far below what training moves.
double relative_distance(const std::vector<float>& a, const std::vector<float>& ref) {
  EXPECT_EQ(a.size(), ref.size());
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size() && i < ref.size(); ++i) {
    if (!std::isfinite(a[i])) return INFINITY;
    num += (double(a[i]) - ref[i]) * (double(a[i]) - ref[i]);
    den += double(ref[i]) * ref[i];
  }
  return std::sqrt(num / den);
}
constexpr double kRunTolerance = 1e-3;

template <typename T>
std::vector<T> fetch(Backend& be, const T* p, size_t n) {
  std::vector<T> h(n);
  be.download(h.data(), p, n * sizeof(T));
  return h;
}

struct ModelCase {
  const char* name;
  TensorShape input;
};

// Forward logits and backward gradients of R replicas with distinct parameters, on one backend.
std::pair<std::vector<float>, std::vector<float>> forward_backward(Backend& be, const Model& model,
                                                                   const std::vector<float>& params,
                                                                   const std::vector<float>& input,
                                                                   const std::vector<int32_t>& labels, int R, int B) {
  const int64_t P = model.num_params();
  ModelWorkspace ws(be, model, R, B);
  DeviceArray<float> w(be, params.size()), g(be, params.size());
  w.upload(params.data(), params.size());
  be.upload(ws.activation(0), input.data(), input.size() * sizeof(float));
  be.upload(ws.labels(), labels.data(), labels.size() * sizeof(int32_t));
  std::vector<ReplicaStep> steps(R);
  std::vector<uint32_t> keys(R);
  for (int r = 0; r < R; ++r) steps[r].inv_valid = 1.0f / B, keys[r] = 100 + r;
  be.upload(ws.steps(), steps.data(), R * sizeof(ReplicaStep));
  be.upload(ws.replica_keys(), keys.data(), R * sizeof(uint32_t));
  LayerPass pass;
  pass.backend = &be;
  pass.replicas = R;
  pass.batch = B;
  pass.params = w.data();
  pass.param_stride = P;
  pass.training = true;
  pass.seed = 3;
  model_forward(model, ws, pass);
  model_loss_and_backward(model, ws, pass, GradTarget{g.data(), P, 1.0f, 0.0f});
  return {fetch(be, ws.logits(), size_t(R) * B * model.classes()), fetch(be, g.data(), params.size())};
}

TEST_F(CudaTwin, EveryModelForwardAndBackward) {
  for (const ModelCase& c : {ModelCase{"logreg", {28, 28, 1}}, ModelCase{"mlp", {28, 28, 1}},
                             ModelCase{"emnist_cnn", {28, 28, 1}}, ModelCase{"cifar_cnn", {32, 32, 3}},
                             ModelCase{"pfl_cnn", {32, 32, 3}}}) {
    SCOPED_TRACE(c.name);
    auto model = make_model(c.name, c.input, 10);
    const int R = 3, B = 4;
    std::vector<float> params(size_t(R) * model->num_params());
    for (int r = 0; r < R; ++r) model->init_params(params.data() + r * model->num_params(), 10 + r);
    std::vector<float> input(size_t(R) * B * c.input.size());
    for (size_t i = 0; i < input.size(); ++i) input[i] = static_cast<float>((i * 37) % 101) / 101.0f;
    std::vector<int32_t> labels(R * B);
    for (int i = 0; i < R * B; ++i) labels[i] = i % 10;
    labels[1] = -1;  // a masked row
    const auto ref = forward_backward(*cpu, *model, params, input, labels, R, B);
    const auto got = forward_backward(*gpu, *model, params, input, labels, R, B);
    expect_close(got.first, ref.first, 1e-4, 1e-5, "logits");
    expect_close(got.second, ref.second, 1e-3, 1e-5, "gradients");
  }
}

// Every op of the backend's list on the device against its per-element reference on the host, within
// the op's bound (tests/op_cases_list.cpp; most are exact).
TEST_F(CudaTwin, EveryOpMatchesThePerElementReference) {
  for (const testing::OpCase& c : testing::op_cases()) {
    SCOPED_TRACE(c.op);
    testing::expect_op_matches_reference(c, *gpu, /*exact=*/false);
  }
}

// NCCL on this device: a group of one rank sums a buffer to itself (a group of several needs one GPU
// per rank: the MPI test on a multi-GPU node).
TEST_F(CudaTwin, DeviceAllReduceOfOneRankKeepsTheBuffer) {
  if (!device_all_reduce_available()) GTEST_SKIP() << "this build has no NCCL";
  const auto reduce = make_device_all_reduce(*gpu, make_device_all_reduce_id(), 0, 1);
  std::vector<float> values(1000);
  for (size_t i = 0; i < values.size(); ++i) values[i] = 0.25f * float(i) - 7.0f;
  DeviceArray<float> d(*gpu, values.size());
  d.upload(values.data(), values.size());
  reduce->sum(d.data(), values.size());
  EXPECT_EQ(fetch(*gpu, d.data(), values.size()), values);
}

struct SmallFederation : testing::SyntheticFederation {
  SmallFederation() : SyntheticFederation(spec()) {}
  static testing::FederationSpec spec() {
    testing::FederationSpec f;
    f.side = 28;  // emnist_cnn's input
    f.classes = 10;
    f.train_samples = 1500;
    f.test_samples = 300;
    f.data_seed = 4;
    f.clients = 30;
    f.method = "astraea";
    f.global = "zipf:1.0";
    f.partition_seed = 1;
    return f;
  }
};

TEST_F(CudaTwin, AugmentationGeneratesTheSameImages) {
  SmallFederation f;
  AugmentationConfig c;
  c.method = "power";
  for (uint32_t ops : {kAffineOps, kAllOps}) {  // the papers' four ops; with flips and brightness
    c.ops = ops;
    const AugmentedData host = augment_clients(f.store, f.data.train, c, 5, *cpu);
    const AugmentedData device = augment_clients(f.store, f.data.train, c, 5, *gpu);
    ASSERT_EQ(host.images.size(), device.images.size());
    ASSERT_GT(host.images.size(), 0u);
    // The maps are drawn on the host and sampling is fma-free on both: the same bytes.
    size_t differ = 0;
    for (size_t i = 0; i < host.images.size(); ++i) differ += host.images[i] != device.images[i];
    EXPECT_EQ(differ, 0u) << "of " << host.images.size() << " pixels";
  }
}

TEST_F(CudaTwin, ShortRunMatchesTheCpu) {
  SmallFederation f;
  TrainConfig t;
  t.model = "emnist_cnn";
  t.optimizer = "sgd";  // Adam turns rounding near zero gradients into whole steps: SGD keeps 1e-4
  t.lr = 0.05;
  t.rounds = 3;
  t.clients_per_round = 10;
  AstraeaConfig a;
  a.augmentation.method = "zscore";
  a.scheduler = "greedy";
  a.mediator_size = 3;
  FederatedRun on_cpu(t, a, {}, 7, f.data.train, f.data.test, f.store, *cpu);
  FederatedRun on_gpu(t, a, {}, 7, f.data.train, f.data.test, f.store, *gpu);
  const std::vector<float> start = on_cpu.global_params();
  for (int r = 1; r <= t.rounds; ++r) {
    const RoundResult x = on_cpu.run_round(r), y = on_gpu.run_round(r);
    EXPECT_NEAR(x.train_loss, y.train_loss, 1e-3 * std::fabs(x.train_loss)) << "round " << r;
    EXPECT_NEAR(x.test.accuracy, y.test.accuracy, 0.01) << "round " << r;
    EXPECT_EQ(x.mediator_sizes, y.mediator_sizes);
  }
  // Same augmented images (exact, above), so the runs differ only by summation order.
  const double moved = relative_distance(start, on_cpu.global_params());
  EXPECT_GT(moved, 10 * kRunTolerance) << "training barely moved the model: the comparison says nothing";
  EXPECT_LT(relative_distance(on_gpu.global_params(), on_cpu.global_params()), kRunTolerance);
}

// Convolutions through cuDNN against im2col + GEMM, both on the device: whole runs of the papers'
// EMNIST CNN (fused SGD and Adam), compared by relative distance.
TEST_F(CudaTwin, CudnnConvolutionsMatchIm2col) {
  if (!gpu->has_library_conv()) GTEST_SKIP() << "this build has no cuDNN";
  SmallFederation f;
  for (const char* optimizer : {"sgd", "adam"}) {
    TrainConfig t;
    t.model = "emnist_cnn";
    t.optimizer = optimizer;
    t.lr = std::string(optimizer) == "sgd" ? 0.05 : 1e-3;
    t.rounds = 2;
    t.clients_per_round = 10;
    AstraeaConfig a;
    a.scheduler = "greedy";
    a.mediator_size = 3;
    FederatedRun im2col(t, a, {}, 7, f.data.train, f.data.test, f.store, *gpu);
    t.conv = "cudnn";
    FederatedRun cudnn(t, a, {}, 7, f.data.train, f.data.test, f.store, *gpu);
    for (int r = 1; r <= t.rounds; ++r) {
      im2col.run_round(r);
      cudnn.run_round(r);
    }
    EXPECT_LT(relative_distance(cudnn.global_params(), im2col.global_params()), kRunTolerance) << optimizer;
  }
}

// CUDA Graphs: waves whose recorded steps are replayed train exactly what launched waves train.
TEST_F(CudaTwin, GraphsReplayExactlyWhatLaunchesRun) {
  SmallFederation f;
  for (const char* optimizer : {"sgd", "adam"}) {
    TrainConfig t;
    t.model = "mlp";
    t.optimizer = optimizer;
    t.lr = std::string(optimizer) == "sgd" ? 0.05 : 1e-3;
    t.rounds = 3;
    t.clients_per_round = 10;
    t.replicas = 4;  // waves of 4 and 2
    AstraeaConfig a;
    a.scheduler = "greedy";
    a.mediator_size = 3;
    FederatedRun launched(t, a, {}, 7, f.data.train, f.data.test, f.store, *gpu);
    t.cuda_graphs = true;
    FederatedRun replayed(t, a, {}, 7, f.data.train, f.data.test, f.store, *gpu);
    for (int r = 1; r <= t.rounds; ++r) {
      EXPECT_EQ(replayed.run_round(r).train_loss, launched.run_round(r).train_loss) << optimizer << " round " << r;
    }
    EXPECT_EQ(replayed.global_params(), launched.global_params()) << optimizer;
  }
}

// Every client algorithm, loss and server update on the device (waves of replicas) against the CPU
// (lanes), by relative norm over all parameters: SGD on synthetic data, no augmentation, so the
// two differ only by summation order.
TEST_F(CudaTwin, EveryAlgorithmMatchesTheCpu) {
  SmallFederation f;
  TrainConfig t;
  t.model = "mlp";
  t.optimizer = "sgd";
  t.lr = 0.05;
  t.rounds = 3;
  t.clients_per_round = 10;
  AstraeaConfig a;
  a.scheduler = "greedy";
  a.mediator_size = 3;
  const std::vector<AlgorithmConfig> algorithms = {
      {"ce", "fedprox", "fedavg", {{"prox_mu", 0.1}}}, {"ce", "scaffold", "fedavg", {}},
      {"focal", "none", "fedadam", {}},                {"fedlc", "none", "fedavgm", {}},
      {"fedrs", "none", "fedyogi", {}}};
  for (const AlgorithmConfig& alg : algorithms) {
    FederatedRun on_cpu(t, a, alg, 7, f.data.train, f.data.test, f.store, *cpu);
    FederatedRun on_gpu(t, a, alg, 7, f.data.train, f.data.test, f.store, *gpu);
    for (int r = 1; r <= t.rounds; ++r) {
      on_cpu.run_round(r);
      on_gpu.run_round(r);
    }
    EXPECT_LT(relative_distance(on_gpu.global_params(), on_cpu.global_params()), kRunTolerance)
        << alg.client << " " << alg.loss << " " << alg.server;
  }
}

// The batched greedy on the device makes the host greedy's picks (scores within the tie window).
TEST_F(CudaTwin, BatchedSchedulerEqualsTheHostGreedy) {
  PopulationSpec spec;
  spec.clients = 3000;
  const std::vector<int32_t> h = synthetic_histograms(spec);
  std::vector<int64_t> ids(spec.clients);
  for (int64_t i = 0; i < spec.clients; ++i) ids[i] = i;
  EXPECT_EQ(greedy_mediators_batched(*gpu, h.data(), spec.classes, ids, 10),
            greedy_mediators(h.data(), spec.classes, ids, 10));
}

// A round's scheduler hands the greedy to the device from `device_from` online clients on.
TEST_F(CudaTwin, DeviceSchedulerMakesTheHostSchedule) {
  SmallFederation f;
  std::vector<int64_t> online(f.store.num_clients());
  for (size_t i = 0; i < online.size(); ++i) online[i] = int64_t(i);
  EXPECT_EQ(make_scheduler("greedy", 4, 1, gpu.get(), 1)->schedule(f.store, online, 1),
            make_scheduler("greedy", 4, 1)->schedule(f.store, online, 1));
}

}  // namespace
}  // namespace astraea
