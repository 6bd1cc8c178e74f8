// The synchronous round loop: sample the round's online clients, group them into mediators
// (single clients under FedAvg), train every mediator as a replica, hand the server update the
// weighted delta sum_m (n_m / n) (w_m - w) (FedAvg: w += delta), and evaluate on the balanced test
// set. The loss, the client algorithm and the server update are plug-ins ([algorithm]).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "astraea/data/client_store.hpp"
#include "astraea/data/dataset.hpp"
#include "astraea/data/augmentation.hpp"
#include "astraea/core/error.hpp"
#include "astraea/ranks/communicator.hpp"
#include "astraea/fl/client_systems.hpp"
#include "astraea/fl/evaluation.hpp"
#include "astraea/fl/feedback.hpp"
#include "astraea/fl/scenario.hpp"
#include "astraea/fl/mediator_scheduler.hpp"
#include "astraea/fl/replica_trainer.hpp"
#include "astraea/fl/server_update.hpp"
#include "astraea/nn/losses.hpp"
#include "astraea/fl/train_config.hpp"

namespace astraea {

struct PhaseTimes {
  double augment = 0;  // once, before training: reported with round 1
  double sample = 0, schedule = 0, plan = 0, train = 0, communicate = 0, aggregate = 0, evaluate = 0;
};

struct RoundResult {
  int round = 0;  // 1-based
  double train_loss = 0;
  bool evaluated = false;
  ClassificationMetrics test;
  int64_t clients = 0, mediators = 0, samples = 0, steps = 0;
  std::vector<int64_t> mediator_sizes;
  double mean_mediator_kl = 0;  // KL(merged mediator distribution || uniform), mean over mediators
  double weighted_mediator_kl = 0;  // ... weighted by the mediators' samples
  double max_mediator_kl = 0;
  double floor_kl = 0;              // KL of the round's clients pooled: no schedule's weighted mean is lower
  double mean_client_kl = 0;    // KL(client distribution || uniform), mean over online clients
  // Traffic of the round, in bytes: model copies between clients and their mediator, and between
  // mediators and the server (under FedAvg every client is its own mediator: the first is zero).
  int64_t bytes_client_mediator = 0;
  int64_t bytes_mediator_server = 0;
  PhaseTimes times;
  double seconds = 0;
  // Simulated time (fl/client_systems.hpp; 0 without [systems]): the round's duration, and the
  // visits and whole mediators that a deadline or a dropout cut.
  double simulated_seconds = 0;
  int64_t dropped_visits = 0, dropped_mediators = 0;
  bool replanned = false;  // the feedback loop replanned after this round (fl/feedback.hpp)
  Replan replan;
  int64_t bytes_feedback = 0;  // confusion counts the clients uploaded (federated feedback)
  bool drifted = false;        // a drift step began with this round (data/drift.hpp)
  DriftEvent drift;
};

// A round whose training or server update produced NaN or infinite values. The global model is the
// previous round's when the fault was caught before the server update (`model_intact`).
class Diverged : public Error {
 public:
  Diverged(int round, bool model_intact, const std::string& what)
      : Error(what), round_(round), model_intact_(model_intact) {}
  int round() const { return round_; }
  bool model_intact() const { return model_intact_; }

 private:
  int round_;
  bool model_intact_;
};

// Uniform sample of `count` distinct clients of `total` for round `round`, ascending ids.
std::vector<int64_t> sample_clients(int64_t total, int64_t count, uint64_t seed, uint32_t round);

class FederatedRun {
 public:
  // `train`, `test` and `store` must outlive the run (their memory is used in place on the CPU).
  // With augmentation configured, clients augment their data once, here. With a communicator of
  // several ranks (which must outlive the run), each rank trains its share of every round's
  // mediators, the aggregate is summed across ranks, and rank 0 alone evaluates.
  FederatedRun(const TrainConfig& config, const AstraeaConfig& astraea, const AlgorithmConfig& algorithm, uint64_t seed,
               const Dataset& train, const Dataset& test, const ClientStore& store, Backend& backend,
               Communicator* ranks = nullptr, const Scenario& scenario = Scenario());
  ~FederatedRun();

  RoundResult run_round(int round);  // rounds count from 1
  const Model& model() const { return *model_; }
  std::vector<float> global_params() const;
  // The global model to continue from (a checkpoint's): the next run_round must be the round after.
  void set_global_params(const std::vector<float>& params);
  // What the algorithm carries across rounds (server optimizer, clients' state), for checkpoints;
  // restore_algorithm_state throws naming `source` when the state does not fit this run.
  AlgorithmState algorithm_state() const;
  void restore_algorithm_state(const AlgorithmState& state, const std::string& source);
  const ReplicaTrainer& trainer() const { return *trainer_; }
  // The clients as trained: after augmentation when it is on.
  const ClientStore& clients() const { return augmented_ ? augmented_->clients : base_store(); }
  // The per-class weights of the last replan (all 1 before any), and what the scheduler aims for.
  const std::vector<double>& class_weights() const { return class_weights_; }
  const AugmentedData* augmentation() const { return augmented_.get(); }
  double augment_seconds() const { return augment_seconds_; }

 private:
  struct DeviceData;
  void run_round_into(int round, RoundResult& r);
  // `count` of the round's available clients, drawn uniformly (all of them when fewer are).
  std::vector<int64_t> sample_available_clients(int64_t count, int round) const;
  bool available(int64_t k, int round) const;  // online ([systems]) and in the population ([drift])
  // Each mediator's chain through the clients' systems: keeps the visits that make the deadline,
  // drops mediators left empty, sets the round's simulated time.
  void time_chains(int round, int64_t model_bytes, MediatorGroups& mediators, std::vector<std::vector<Visit>>& visits,
                   RoundResult& r) const;
  bool finite(const float* values);  // no NaN or infinity among the model's parameter count

  // Planning (federated_run_plan.cpp): what the clients train on, and how the server adapts it.
  // The clients' data at the current drift step, and the same less their held-out samples.
  const ClientStore& population() const { return drifted_ ? *drifted_ : store_; }
  const ClientStore& base_store() const { return own_store_ ? *own_store_ : population(); }
  void split_held_out();                            // federated feedback: each client's held-out share
  std::vector<int64_t> reported_histogram() const;  // class sizes the population's clients report
  void plan_augmentation(const std::vector<int64_t>& histogram);  // the rules' ratios for it
  void rebuild_data();  // augmentation, device pool, loss and sampling weights for the current plan
  void begin_round(int round, RoundResult& r);  // drift steps and pending rebuilds
  // Feedback: measure per-class recall, then apply the weights it gives.
  void replan(int round, const std::vector<int64_t>& online, RoundResult& r);
  void set_class_weights(const std::vector<double>& weights, Replan* report);
  // Client sampling by weight (Poisson, `count` expected); `inclusion` gets each drawn client's
  // probability.
  std::vector<int64_t> sample_weighted(int64_t count, int round, std::vector<double>& inclusion) const;

  TrainConfig config_;
  AstraeaConfig astraea_;
  AlgorithmConfig algorithm_;
  ClientSystems systems_;
  uint64_t seed_;
  const ClientStore& store_;
  const Dataset& train_data_;
  const Dataset& test_data_;
  FeedbackConfig feedback_;
  DriftConfig drift_;
  int drift_step_ = 0;                       // the step population() is at; -1: to be rebuilt
  std::unique_ptr<ClientStore> drifted_;     // drift: the clients' data at drift_step_
  std::vector<char> active_;                 // drift: who is in the population (empty: everyone)
  std::vector<int64_t> planned_histogram_;   // the reported class sizes augmentation was planned for
  bool stale_ = false;                       // the plan changed: rebuild before the next round trains
  std::unique_ptr<ClientStore> own_store_;   // federated feedback: the partition less held-out samples
  std::vector<std::vector<int32_t>> held_out_;  // federated feedback: each client's held-out samples
  std::vector<double> base_ratios_;          // augmentation ratios of the rules, before feedback
  std::vector<double> target_;               // astraea.target, normalised
  std::vector<double> class_weights_;        // the last replan's w_y
  std::vector<double> recall_;               // the smoothed recall it came from (empty before)
  std::vector<double> sampling_weight_;      // per client, empty: uniform sampling
  std::unique_ptr<Evaluator> validation_;    // server feedback: the held-out validation split
  std::unique_ptr<AugmentedData> augmented_;
  double augment_seconds_ = 0;
  std::unique_ptr<MediatorScheduler> scheduler_;
  Backend& backend_;
  Communicator* ranks_;  // null: one process
  std::unique_ptr<Model> model_;
  std::unique_ptr<DeviceData> data_;
  DeviceArray<float> global_, acc_;
  DeviceArray<int32_t> flag_;  // FlagNonFinite's answer
  std::unique_ptr<TrainingLoss> loss_;
  std::unique_ptr<ClientAlgorithm> client_;
  std::unique_ptr<ServerUpdate> server_;
  std::unique_ptr<ReplicaTrainer> trainer_;
  std::unique_ptr<Evaluator> evaluator_;
};

OptimizerParams optimizer_params(const TrainConfig& config);

}  // namespace astraea
