#include "astraea/fl/federated_run.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <numeric>
#include <unordered_set>

#include <spdlog/spdlog.h>

#include "astraea/core/error.hpp"
#include "astraea/core/rng.hpp"
#include "astraea/core/trace.hpp"
#include "astraea/data/class_profile.hpp"
#include "astraea/fl/schedule_quality.hpp"
#include "astraea/kernels/kl_score.hpp"
#include "astraea/nn/optimizers.hpp"
#include "device_data.hpp"

namespace astraea {
OptimizerParams optimizer_params(const TrainConfig& c) {
  return make_optimizer(c.optimizer, OptimizerSettings{c.lr, c.momentum, c.beta1, c.beta2, c.eps});
}

std::vector<int64_t> sample_clients(int64_t total, int64_t count, uint64_t seed, uint32_t round) {
  ASTRAEA_CHECK(count <= total, "{} of {} clients", count, total);
  HostEngine engine = make_host_engine(seed, RngStream::kClientSampling, round);
  std::vector<int64_t> picked;
  if (count == total) {
    picked.resize(total);
    std::iota(picked.begin(), picked.end(), 0);
    return picked;
  }
  // Floyd's algorithm: `count` draws, whatever the population.
  std::unordered_set<int64_t> chosen;
  for (int64_t j = total - count; j < total; ++j) {
    const int64_t t = static_cast<int64_t>(engine() % static_cast<uint64_t>(j + 1));
    picked.push_back(chosen.insert(t).second ? t : j);
    if (picked.back() == j) chosen.insert(j);
  }
  std::sort(picked.begin(), picked.end());
  return picked;
}

FederatedRun::FederatedRun(const TrainConfig& config, const AstraeaConfig& astraea, const AlgorithmConfig& algorithm,
                           uint64_t seed, const Dataset& train, const Dataset& test, const ClientStore& store,
                           Backend& backend, Communicator* ranks, const Scenario& scenario)
    : config_(config), astraea_(astraea), algorithm_(algorithm), systems_(scenario.systems, store.num_clients(), seed),
      seed_(seed), store_(store), train_data_(train), test_data_(test), feedback_(scenario.feedback),
      drift_(scenario.drift), backend_(backend), ranks_(ranks && ranks->size() > 1 ? ranks : nullptr) {
  ASTRAEA_REQUIRE(config.clients_per_round >= 1 && config.clients_per_round <= store.num_clients(),
                  "train.clients_per_round = {}: must be in [1, {}] (the partition's clients)", config.clients_per_round,
                  store.num_clients());
  SchedulerOptions scheduling;
  scheduling.gamma = astraea.mediator_size;
  scheduling.seed = seed;
  scheduling.backend = &backend;
  scheduling.device_from = astraea.device_scheduler_from;
  scheduling.balance = astraea.balance;
  scheduling.balance_passes = astraea.balance_passes;
  scheduling.balance_worst_ratio = astraea.balance_worst_ratio;
  scheduler_ = make_scheduler(astraea.scheduler, scheduling);
  model_ = make_model(config.model, TensorShape{train.height, train.width, train.channels}, train.classes);
  if (config.conv == "cudnn") {
    ASTRAEA_REQUIRE(backend.has_library_conv(), "train.conv = \"cudnn\" needs the cuda backend built with cuDNN, not {}",
                    backend.name());
    model_->use_library_conv(true);
  }
  const int classes = store.classes();
  target_ = class_distribution(astraea.target, classes, "astraea.target");
  scheduler_->set_target(target_);
  class_weights_.assign(size_t(classes), 1.0);
  if (drift_.enabled()) {
    check_drift(drift_, classes);
    drifted_ = std::make_unique<ClientStore>(drifted_store(store, train.labels, drift_, 0, seed));
    active_ = active_clients(store.num_clients(), drift_, 0, seed);
  }
  if (feedback_.active() && feedback_.source == "federated") split_held_out();
  data_ = std::make_unique<DeviceData>(backend, train, test);
  {
    PhaseScope phase("augment", &augment_seconds_);
    plan_augmentation(reported_histogram());
    rebuild_data();
  }
  const int64_t P = model_->num_params();
  std::vector<float> init(P);
  model_->init_params(init.data(), seed);
  global_ = DeviceArray<float>(backend, P);
  global_.upload(init.data(), P);
  acc_ = DeviceArray<float>(backend, P);
  flag_ = DeviceArray<int32_t>(backend, 1);
  const OptimizerParams optimizer = optimizer_params(config);
  loss_ = make_loss(algorithm.loss, algorithm.params);
  loss_->prepare(backend, clients().histogram().data(), clients().num_clients(), clients().classes());
  ClientAlgorithmSetup setup;
  setup.backend = &backend;
  setup.params = P;
  setup.clients = store.num_clients();
  setup.max_participants = std::min<int64_t>(store.num_clients(), int64_t(config.rounds) * config.clients_per_round);
  setup.optimizer = optimizer;
  setup.ranks = ranks_ ? ranks_->size() : 1;
  client_ = make_client_algorithm(algorithm.client, algorithm.params, setup);
  server_ = make_server_update(algorithm.server, algorithm.params, backend, P);
  TrainerOptions options;
  options.optimizer = optimizer;
  options.loss = loss_.get();
  options.client = client_.get();
  options.batch = config.batch;
  options.tile = config.replicas;
  options.max_replicas = static_cast<int>(config.clients_per_round);
  options.seed = seed;
  options.graphs = config.cuda_graphs;
  trainer_ = std::make_unique<ReplicaTrainer>(backend, *model_, options);
  if (config.cuda_graphs && !trainer_->records_graphs()) {
    spdlog::warn("train.cuda_graphs has no effect here: {}", trainer_->why_no_graphs());
  }
  if (feedback_.active() && feedback_.source == "server") {
    // A balanced share of each class of the test set measures the model for the loop; the test
    // accuracy is reported on the rest, never on those images.
    std::vector<std::vector<int32_t>> by_class(static_cast<size_t>(classes));
    for (int32_t i = 0; i < int32_t(test.n); ++i) by_class[size_t(test.labels[i])].push_back(i);
    std::vector<int32_t> held, rest;
    HostEngine engine = make_host_engine(seed, RngStream::kPartition, 0, 8);
    for (auto& ids : by_class) {
      for (size_t i = ids.size(); i > 1; --i) std::swap(ids[i - 1], ids[engine() % i]);
      const size_t hold = size_t(std::ceil(feedback_.validation * double(ids.size())));
      held.insert(held.end(), ids.begin(), ids.begin() + std::ptrdiff_t(std::min(hold, ids.size())));
      rest.insert(rest.end(), ids.begin() + std::ptrdiff_t(std::min(hold, ids.size())), ids.end());
    }
    std::sort(held.begin(), held.end());
    std::sort(rest.begin(), rest.end());
    ASTRAEA_REQUIRE(!held.empty() && !rest.empty(), "feedback_.validation = {}: leaves no validation or no test image",
                    feedback_.validation);
    validation_ = std::make_unique<Evaluator>(backend, *model_, data_->test_pool, std::move(held), config.eval_batch);
    evaluator_ = std::make_unique<Evaluator>(backend, *model_, data_->test_pool, std::move(rest), config.eval_batch);
  } else {
    evaluator_ = std::make_unique<Evaluator>(backend, *model_, data_->test_pool, test.n, config.eval_batch);
  }
}

FederatedRun::~FederatedRun() = default;

std::vector<float> FederatedRun::global_params() const {
  std::vector<float> w(model_->num_params());
  global_.download(w.data(), w.size());
  return w;
}

void FederatedRun::set_global_params(const std::vector<float>& params) {
  ASTRAEA_CHECK(static_cast<int64_t>(params.size()) == model_->num_params(), "{} params for {}", params.size(),
                model_->num_params());
  global_.upload(params.data(), params.size());
}

bool FederatedRun::finite(const float* values) {
  int32_t flag = 0;
  flag_.upload(&flag, 1);
  backend_.launch(FlagNonFinite{values, flag_.data()}, 1, model_->num_params());
  flag_.download(&flag, 1);
  return flag == 0;
}

void FederatedRun::time_chains(int round, int64_t model_bytes, MediatorGroups& mediators,
                               std::vector<std::vector<Visit>>& visits, RoundResult& r) const {
  const ClientStore& store = clients();
  const double model_mb = double(model_bytes) / 1e6;
  bool cut = false;
  MediatorGroups kept_groups;
  std::vector<std::vector<Visit>> kept_visits;
  for (size_t m = 0; m < mediators.size(); ++m) {
    std::vector<int64_t> who, samples;
    for (const Visit& v : visits[m]) {
      who.push_back(v.client);
      samples.push_back(store.size(v.client) * config_.local_epochs);
    }
    const ChainTiming t = systems_.chain(who, samples, model_mb, round);
    r.simulated_seconds = std::max(r.simulated_seconds, t.seconds);
    r.dropped_visits += t.dropped_visits;
    cut = cut || t.dropped_visits > 0;
    if (t.kept.empty()) {
      ++r.dropped_mediators;
      continue;
    }
    std::vector<Visit> v;
    std::vector<int64_t> group;
    for (size_t i : t.kept) {
      v.push_back(visits[m][i]);
      if (std::find(group.begin(), group.end(), visits[m][i].client) == group.end()) group.push_back(visits[m][i].client);
    }
    kept_visits.push_back(std::move(v));
    kept_groups.push_back(std::move(group));
  }
  // The server waits for the deadline when anything missed it.
  if (cut && systems_.config().deadline > 0) r.simulated_seconds = systems_.config().deadline;
  mediators = std::move(kept_groups);
  visits = std::move(kept_visits);
}

RoundResult FederatedRun::run_round(int round) {
  RoundResult r;
  {
    PhaseScope whole("round " + std::to_string(round), &r.seconds, 0, "round");
    run_round_into(round, r);
  }
  return r;
}

void FederatedRun::run_round_into(int round, RoundResult& r) {
  r.round = round;
  if (round == 1) r.times.augment = augment_seconds_;
  begin_round(round, r);
  const ClientStore& store = clients();
  std::vector<int64_t> online;
  std::vector<double> inclusion;  // weighted sampling: each online client's probability
  {
    PhaseScope phase("sample", &r.times.sample);
    if (!sampling_weight_.empty()) {
      online = sample_weighted(config_.clients_per_round, round, inclusion);
    } else {
      online = sample_available_clients(config_.clients_per_round, round);
    }
  }
  MediatorGroups mediators;
  {
    PhaseScope phase("schedule", &r.times.schedule);
    mediators = scheduler_->schedule(store, online, static_cast<uint32_t>(round));
  }

  std::optional<PhaseScope> plan_phase(std::in_place, "plan", &r.times.plan);
  LocalTraining local;
  local.batch = config_.batch;
  local.local_epochs = config_.local_epochs;
  local.reset_per_client = config_.reset_optimizer;
  local.mediator_epochs = astraea_.mediator_epochs;
  const int64_t model_bytes = 4 * model_->num_params();
  std::vector<std::vector<Visit>> visits(mediators.size());
  for (size_t m = 0; m < mediators.size(); ++m) visits[m] = chain_visits(mediators[m], local.mediator_epochs);
  if (systems_.active()) time_chains(round, model_bytes, mediators, visits, r);
  std::vector<StepPlan> plans(mediators.size());
  for (size_t m = 0; m < mediators.size(); ++m) {
    plans[m] = make_step_plan_visits(store, visits[m], local, seed_, static_cast<uint32_t>(round), static_cast<uint32_t>(m));
  }
  client_->begin_round(plans);
  int64_t n = 0;
  for (const StepPlan& p : plans) n += p.samples;
  std::vector<float> coef(plans.size());
  if (inclusion.empty()) {
    for (size_t m = 0; m < plans.size(); ++m) coef[m] = n ? static_cast<float>(double(plans[m].samples) / n) : 0.0f;
  } else {  // Horvitz-Thompson: each client's samples weighted by 1 / its inclusion probability
    std::vector<double> ht(plans.size(), 0.0);
    double sum = 0;
    for (size_t m = 0; m < mediators.size(); ++m) {
      for (int64_t k : mediators[m]) {
        const size_t at = size_t(std::lower_bound(online.begin(), online.end(), k) - online.begin());
        ht[m] += double(store.size(k)) / inclusion[at];
      }
      sum += ht[m];
    }
    for (size_t m = 0; m < plans.size(); ++m) coef[m] = sum > 0 ? static_cast<float>(ht[m] / sum) : 0.0f;
  }
  plan_phase.reset();

  TrainStats stats;
  std::vector<size_t> mine;  // under MPI: this rank's plans
  {
    PhaseScope phase("train", &r.times.train);
    backend_.zero(acc_.data(), acc_.bytes());
    if (ranks_) {  // this rank's share, dealt as the lanes of one process would be
      mine = deal_longest_first(plans, ranks_->size())[ranks_->rank()];
      std::vector<StepPlan> my_plans;
      std::vector<float> my_coef;
      for (size_t m : mine) {
        my_plans.push_back(std::move(plans[m]));
        my_coef.push_back(coef[m]);
      }
      stats = trainer_->train(my_plans, my_coef, data_->train_pool, global_.data(), acc_.data(), round);
    } else {
      stats = trainer_->train(plans, coef, data_->train_pool, global_.data(), acc_.data(), round);
    }
    backend_.synchronize();
  }
  if (ranks_) {
    PhaseScope phase("communicate", &r.times.communicate);
    ranks_->sum(backend_, acc_.data(), size_t(model_->num_params()));
    double totals[3] = {stats.loss_sum, double(stats.rows), double(stats.steps)};
    ranks_->sum(totals, 3);
    stats.loss_sum = totals[0];
    stats.rows = static_cast<int64_t>(totals[1]);
    stats.steps = static_cast<int64_t>(totals[2]);
  }
  {
    PhaseScope phase("aggregate", &r.times.aggregate);
    // A diverged round never reaches the model: the previous round's stays (and is checkpointed).
    if (!std::isfinite(stats.loss_sum) || !finite(acc_.data())) {
      std::string where;
      if (stats.first_nonfinite >= 0) {
        const size_t m = ranks_ ? mine[stats.first_nonfinite] : size_t(stats.first_nonfinite);
        std::string ids;
        for (int64_t k : mediators[m]) ids += (ids.empty() ? "" : ", ") + std::to_string(k);
        where = fmt::format(" (first in mediator {} of {}: clients {})", m, mediators.size(), ids);
      }
      throw Diverged(round, true,
                     fmt::format("round {}: training diverged, the loss or the update is NaN or infinite{}; lower "
                                 "train.lr (or the server's rate)",
                                 round, where));
    }
    server_->apply(global_.data(), acc_.data());
    client_->end_round(backend_);
    backend_.synchronize();
    if (!finite(global_.data())) {
      throw Diverged(round, false,
                     fmt::format("round {}: the server update ({}) made the model NaN or infinite; lower "
                                 "algorithm.server_lr",
                                 round, server_->name()));
    }
  }

  r.clients = static_cast<int64_t>(online.size());
  r.mediators = static_cast<int64_t>(mediators.size());
  r.samples = n;
  r.steps = stats.steps;
  r.train_loss = stats.rows ? stats.loss_sum / stats.rows : 0.0;
  for (const auto& g : mediators) r.mediator_sizes.push_back(static_cast<int64_t>(g.size()));
  const ScheduleQuality quality = schedule_quality(store, mediators);
  r.mean_mediator_kl = quality.mean_kl;
  r.weighted_mediator_kl = quality.weighted_kl;
  r.max_mediator_kl = quality.max_kl;
  r.floor_kl = quality.floor_kl;
  double client_kl = 0;
  for (int64_t k : online) client_kl += kl_to_uniform(store.histogram_row(k), store.classes());
  r.mean_client_kl = online.empty() ? 0.0 : client_kl / online.size();
  // Traffic (the papers' 2|w|(ceil(c/gamma) + c) against FedAvg's 2c|w|): every mediator downloads
  // and uploads the model once; with mediators, every client visit downloads and uploads it too.
  // Without a scheduler a client is its own mediator and only the server link carries traffic.
  int64_t visited = 0;
  for (const auto& v : visits) visited += int64_t(v.size());
  r.bytes_mediator_server = 2 * model_bytes * r.mediators;
  r.bytes_client_mediator = astraea_.scheduler == "none" ? 0 : 2 * model_bytes * visited;

  const bool last = round == config_.rounds;
  const bool evaluator = !ranks_ || ranks_->rank() == 0;
  if (evaluator && (last || (config_.eval_every > 0 && round % config_.eval_every == 0))) {
    PhaseScope phase("evaluate", &r.times.evaluate);
    r.test = evaluator_->evaluate(global_.data());
    r.evaluated = true;
  }
  if (feedback_.active() && round % feedback_.every == 0 && round < config_.rounds) replan(round, online, r);
}

}  // namespace astraea
