// "scaffold": SCAFFOLD, option II (Karimireddy et al., ICML 2020). Each client i keeps a control
// variate c_i (client state, zero at first), the server keeps c. A client's every SGD step uses
// g + c - c_i; after its K steps of a visit, c_i+ = c_i - c + (y_in - y_out) / (K lr). After the
// round the server moves c by (1 / N) sum_i (c_i+ - c_i) over the round's clients (N: the
// population) and the model by server_lr times the weighted delta (algorithm.server). Along a
// mediator's chain each visited client does this on its own visit.
#include <spdlog/spdlog.h>

#include "algorithms.hpp"
#include "client_state.hpp"

namespace astraea::algorithms {
namespace {

class Scaffold final : public ClientAlgorithm {
 public:
  Scaffold(const ClientAlgorithmSetup& s)
      : backend_(*s.backend), params_(s.params), population_(s.clients), lr_(s.optimizer.lr), control_(backend_, s.params),
        delta_(backend_, s.params), states_(backend_, s.params) {
    backend_.zero(control_.data(), control_.bytes());
    backend_.zero(delta_.data(), delta_.bytes());
  }
  std::string name() const override { return "scaffold"; }
  bool changes_gradient() const override { return true; }
  int replica_buffers() const override { return 2; }  // y_in, and sum of c_i+ - c_i

  void begin_round(const std::vector<StepPlan>& plans) override {
    for (const StepPlan& p : plans)
      for (int32_t k : p.step_client) states_.ensure(k);
  }
  void decorate(ReplicaStep& step, const StepPlan&, int64_t) const override {
    step.client_state = states_.row(step.client);
  }
  void adjust_gradient(const ClientStepContext& c) const override {
    c.backend->launch(ScaffoldCorrection{c.grads, c.weights, c.global, control_.data(), c.buffers,
                                         c.buffers + c.tile * c.stride, c.steps, c.params, lr_, c.stride},
                      c.replicas, c.params);
  }
  void finish_lane(Backend& backend, const float* buffers, int64_t tile, int64_t stride) override {
    backend.launch(SumRows{delta_.data(), buffers + tile * stride, tile, params_, stride}, 1, params_);
  }
  void end_round(Backend& backend) override {
    backend.launch(Axpy{control_.data(), delta_.data(), 1.0f / static_cast<float>(population_)}, 1, params_);
    backend.zero(delta_.data(), delta_.bytes());
  }
  AlgorithmState state() const override {
    AlgorithmState s{{download_state("scaffold/control", control_, {params_})}, {}};
    states_.save(s, "scaffold/client_controls");
    return s;
  }
  void restore(const AlgorithmState& s, const std::string& source) override {
    upload_state(s, "scaffold/control", control_, source);
    states_.load(s, "scaffold/client_controls", source);
  }

 private:
  Backend& backend_;
  int64_t params_, population_;
  float lr_;
  DeviceArray<float> control_, delta_;
  ClientStateStore states_;
};

}  // namespace

const std::vector<ParamSpec> kScaffoldParams = {
    {"client_state_mb", 4096, 0, 1e9, true, "memory budget for the clients' control variates, MB"}};

std::unique_ptr<ClientAlgorithm> make_scaffold(const ParamValues& p, const ClientAlgorithmSetup& s) {
  ASTRAEA_REQUIRE(s.optimizer.kind == OptimizerKind::kSgd,
                  "algorithm.client = \"scaffold\" needs train.optimizer = \"sgd\" without momentum (option II's "
                  "control variate divides by K train.lr)");
  ASTRAEA_REQUIRE(s.ranks == 1,
                  "algorithm.client = \"scaffold\" keeps the clients' control variates in one process: run it without "
                  "mpirun ({} ranks)",
                  s.ranks);
  const double need_mb = double(s.max_participants) * s.params * 4 / (1 << 20);
  const double budget_mb = p["client_state_mb"];
  ASTRAEA_REQUIRE(need_mb <= budget_mb,
                  "algorithm.client = \"scaffold\" keeps {} floats per client that takes part: up to {} clients "
                  "(min(partition.clients, train.rounds x train.clients_per_round)) need {:.0f} MB, over "
                  "algorithm.client_state_mb = {:.0f}: raise it, or lower train.rounds, train.clients_per_round or "
                  "partition.clients",
                  s.params, s.max_participants, need_mb, budget_mb);
  const double free_mb = double(s.backend->memory_available()) / (1 << 20);
  ASTRAEA_REQUIRE(need_mb <= free_mb,
                  "algorithm.client = \"scaffold\": up to {} clients' control variates need {:.0f} MB, but {} has "
                  "{:.0f} MB free: lower train.rounds, train.clients_per_round or partition.clients",
                  s.max_participants, need_mb, s.backend->name(), free_mb);
  return std::make_unique<Scaffold>(s);
}

}  // namespace astraea::algorithms
