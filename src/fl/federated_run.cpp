#include "astraea/fl/federated_run.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <numeric>
#include <unordered_set>

#include "astraea/core/error.hpp"
#include "astraea/core/rng.hpp"
#include "astraea/core/trace.hpp"
#include "astraea/fl/schedule_quality.hpp"
#include "astraea/kernels/kl_score.hpp"
#include "astraea/nn/optimizers.hpp"

namespace astraea {
// The training pool and test set where the backend reads them: in place on the CPU, uploaded once
// on a device.
struct FederatedRun::DeviceData {
  DeviceData(Backend& be, const Dataset& train, const Dataset& test, const AugmentedData* extra) {
    train_pool = upload(be, train, train_images, train_labels);
    test_pool = upload(be, test, test_images, test_labels);
    if (extra != nullptr && !extra->labels.empty()) {
      train_pool.extra_images = extra->images.data();
      train_pool.extra_labels = extra->labels.data();
      if (be.is_device()) {
        extra_images = DeviceArray<uint8_t>(be, extra->images.size());
        extra_images.upload(extra->images.data(), extra->images.size());
        extra_labels = DeviceArray<int32_t>(be, extra->labels.size());
        extra_labels.upload(extra->labels.data(), extra->labels.size());
        train_pool.extra_images = extra_images.data();
        train_pool.extra_labels = extra_labels.data();
      }
    }
  }
  static SamplePool upload(Backend& be, const Dataset& d, DeviceArray<uint8_t>& images, DeviceArray<int32_t>& labels) {
    SamplePool pool{d.images.data(), d.labels.data(), d.n, nullptr, nullptr, d.channels, d.height, d.width};
    if (be.is_device()) {
      images = DeviceArray<uint8_t>(be, d.images.size());
      images.upload(d.images.data(), d.images.size());
      labels = DeviceArray<int32_t>(be, d.labels.size());
      labels.upload(d.labels.data(), d.labels.size());
      pool.base_images = images.data();
      pool.base_labels = labels.data();
    }
    return pool;
  }
  DeviceArray<uint8_t> train_images, test_images, extra_images;
  DeviceArray<int32_t> train_labels, test_labels, extra_labels;
  SamplePool train_pool{}, test_pool{};
};

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
                           Backend& backend, Communicator* ranks, const SystemsConfig& systems)
    : config_(config), astraea_(astraea), algorithm_(algorithm), systems_(systems, store.num_clients(), seed), seed_(seed),
      store_(store), backend_(backend),
      ranks_(ranks && ranks->size() > 1 ? ranks : nullptr) {
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
  scheduler_ = make_scheduler(astraea.scheduler, scheduling);
  model_ = make_model(config.model, TensorShape{train.height, train.width, train.channels}, train.classes);
  if (astraea.augmentation.method != "none") {
    PhaseScope phase("augment", &augment_seconds_);
    augmented_ = std::make_unique<AugmentedData>(augment_clients(store, train, astraea.augmentation, seed, backend));
  }
  data_ = std::make_unique<DeviceData>(backend, train, test, augmented_.get());
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
  trainer_ = std::make_unique<ReplicaTrainer>(backend, *model_, options);
  evaluator_ = std::make_unique<Evaluator>(backend, *model_, data_->test_pool, test.n, config.eval_batch);
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

AlgorithmState FederatedRun::algorithm_state() const {
  AlgorithmState s = server_->state();
  s.append(client_->state());
  return s;
}

void FederatedRun::restore_algorithm_state(const AlgorithmState& state, const std::string& source) {
  server_->restore(state, source);
  client_->restore(state, source);
}

bool FederatedRun::finite(const float* values) {
  int32_t flag = 0;
  flag_.upload(&flag, 1);
  backend_.launch(FlagNonFinite{values, flag_.data()}, 1, model_->num_params());
  flag_.download(&flag, 1);
  return flag == 0;
}

std::vector<int64_t> FederatedRun::sample_online_clients(int64_t total, int64_t count, uint64_t seed,
                                                         int round) const {
  std::vector<int64_t> up;
  for (int64_t k = 0; k < total; ++k)
    if (systems_.online(k, round)) up.push_back(k);
  if (int64_t(up.size()) <= count) return up;
  std::vector<int64_t> picked;
  for (int64_t i : sample_clients(int64_t(up.size()), count, seed, uint32_t(round))) picked.push_back(up[size_t(i)]);
  return picked;  // ascending, as up is
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
  const ClientStore& store = clients();
  std::vector<int64_t> online;
  {
    PhaseScope phase("sample", &r.times.sample);
    online = systems_.always_online()
                 ? sample_clients(store.num_clients(), config_.clients_per_round, seed_, round)
                 : sample_online_clients(store.num_clients(), config_.clients_per_round, seed_, round);
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
  for (size_t m = 0; m < plans.size(); ++m) coef[m] = n ? static_cast<float>(double(plans[m].samples) / n) : 0.0f;
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
}

}  // namespace astraea
