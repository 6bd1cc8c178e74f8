#include "astraea/fl/federated_run.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <numeric>
#include <unordered_set>

#include "astraea/core/error.hpp"
#include "astraea/core/rng.hpp"
#include "astraea/core/trace.hpp"
#include "astraea/data/class_profile.hpp"
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
                           Backend& backend, Communicator* ranks, const SystemsConfig& systems,
                           const FeedbackConfig& feedback)
    : config_(config), astraea_(astraea), algorithm_(algorithm), systems_(systems, store.num_clients(), seed), seed_(seed),
      store_(store), train_data_(train), test_data_(test), feedback_(feedback), backend_(backend),
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
  const int classes = store.classes();
  target_ = class_distribution(astraea.target, classes, "astraea.target");
  scheduler_->set_target(target_);
  class_weights_.assign(size_t(classes), 1.0);
  if (feedback.active() && feedback.source == "federated") {
    // Each client holds back a share of its samples, never trained on, to measure the model.
    own_store_ = std::make_unique<ClientStore>(classes);
    held_out_.resize(size_t(store.num_clients()));
    for (int64_t k = 0; k < store.num_clients(); ++k) {
      std::vector<int32_t> ids(store.samples(k), store.samples(k) + store.size(k));
      HostEngine engine = make_host_engine(seed, RngStream::kPartition, uint32_t(k), 7);
      for (size_t i = ids.size(); i > 1; --i) std::swap(ids[i - 1], ids[engine() % i]);
      const size_t hold = std::min(ids.size() - 1, size_t(std::floor(feedback.validation * double(ids.size()))));
      held_out_[k].assign(ids.begin(), ids.begin() + std::ptrdiff_t(hold));
      std::vector<int32_t> keep(ids.begin() + std::ptrdiff_t(hold), ids.end());
      std::sort(keep.begin(), keep.end());
      own_store_->add_client(keep.data(), int64_t(keep.size()), train.labels);
    }
  }
  if (astraea.augmentation.method != "none") {
    PhaseScope phase("augment", &augment_seconds_);
    // The rules compare class sizes with the target's: C_y / (N t_y) (uniform: C_y itself).
    std::vector<int64_t> sizes = base_store().global_histogram();
    if (!scheduler_->uniform_target()) {
      for (int y = 0; y < classes; ++y) sizes[y] = std::llround(double(sizes[y]) / (classes * std::max(target_[y], 1e-12)));
    }
    base_ratios_ = augmentation_ratios(sizes, astraea.augmentation);
    augmented_ = std::make_unique<AugmentedData>(
        augment_clients(base_store(), train, astraea.augmentation, base_ratios_, seed, backend));
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
  if (feedback.active() && feedback.source == "server") {
    // A balanced share of each class of the test set measures the model for the loop; the test
    // accuracy is reported on the rest, never on those images.
    std::vector<std::vector<int32_t>> by_class(static_cast<size_t>(classes));
    for (int32_t i = 0; i < int32_t(test.n); ++i) by_class[size_t(test.labels[i])].push_back(i);
    std::vector<int32_t> held, rest;
    HostEngine engine = make_host_engine(seed, RngStream::kPartition, 0, 8);
    for (auto& ids : by_class) {
      for (size_t i = ids.size(); i > 1; --i) std::swap(ids[i - 1], ids[engine() % i]);
      const size_t hold = size_t(std::ceil(feedback.validation * double(ids.size())));
      held.insert(held.end(), ids.begin(), ids.begin() + std::ptrdiff_t(std::min(hold, ids.size())));
      rest.insert(rest.end(), ids.begin() + std::ptrdiff_t(std::min(hold, ids.size())), ids.end());
    }
    std::sort(held.begin(), held.end());
    std::sort(rest.begin(), rest.end());
    ASTRAEA_REQUIRE(!held.empty() && !rest.empty(), "feedback.validation = {}: leaves no validation or no test image",
                    feedback.validation);
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

AlgorithmState FederatedRun::algorithm_state() const {
  AlgorithmState s = server_->state();
  s.append(client_->state());
  // The smoothed recall determines every replanned quantity; none exists before the first replan.
  if (feedback_.active() && !recall_.empty()) {
    s.tensors.push_back(StateTensor{"feedback/recall", {int64_t(recall_.size())},
                                    std::vector<float>(recall_.begin(), recall_.end())});
  }
  return s;
}

void FederatedRun::restore_algorithm_state(const AlgorithmState& state, const std::string& source) {
  server_->restore(state, source);
  client_->restore(state, source);
  if (!feedback_.active()) return;
  const StateTensor* r = state.find("feedback/recall");
  if (!r) return;  // saved before the first replan
  if (r->data.size() != class_weights_.size()) {
    ASTRAEA_FAIL("{}: feedback/recall has {} classes, the run {}", source, r->data.size(), class_weights_.size());
  }
  recall_.assign(r->data.begin(), r->data.end());
  apply_class_weights(recall_weights(recall_, feedback_.beta, feedback_.max_ratio), nullptr);
}

void FederatedRun::apply_class_weights(const std::vector<double>& w, Replan* report) {
  const int classes = int(w.size());
  class_weights_ = w;
  if (feedback_.augmentation && augmented_) {
    std::vector<double> ratios = base_ratios_;
    for (int y = 0; y < classes; ++y) ratios[y] *= std::max(1.0, w[y]);  // never fewer than the rules asked for
    if (report) {
      report->ratios_before = augmented_->ratios;
      report->ratios_after = ratios;
    }
    augmented_ = std::make_unique<AugmentedData>(
        augment_clients(base_store(), train_data_, astraea_.augmentation, ratios, seed_, backend_));
    data_ = std::make_unique<DeviceData>(backend_, train_data_, test_data_, augmented_.get());
    loss_->prepare(backend_, clients().histogram().data(), clients().num_clients(), clients().classes());
  }
  if (feedback_.target) {
    std::vector<double> t(static_cast<size_t>(classes));
    for (int y = 0; y < classes; ++y) t[y] = target_[y] * w[y];
    if (report) {
      report->target_before = scheduler_->uniform_target() ? target_ : scheduler_->target();
      const double sum = std::accumulate(t.begin(), t.end(), 0.0);
      for (double v : t) report->target_after.push_back(v / sum);
    }
    scheduler_->set_target(std::move(t));
  }
  if (feedback_.sampling) {
    const ClientStore& s = base_store();
    sampling_weight_.assign(size_t(s.num_clients()), 0.0);
    for (int64_t k = 0; k < s.num_clients(); ++k) {
      double sum = 0;
      for (int y = 0; y < classes; ++y) sum += s.histogram_row(k)[y] * w[y];
      sampling_weight_[k] = s.size(k) > 0 ? sum / double(s.size(k)) : 0.0;
    }
    if (report) report->sampling = true;
  }
}

void FederatedRun::replan(int, const std::vector<int64_t>& online, RoundResult& r) {
  const auto start = std::chrono::steady_clock::now();
  ClassificationMetrics m;
  if (feedback_.source == "server") {
    m = validation_->evaluate(global_.data());
  } else {  // the online clients measure on their held-out samples and upload confusion counts
    std::vector<int32_t> ids;
    for (int64_t k : online) ids.insert(ids.end(), held_out_[k].begin(), held_out_[k].end());
    if (ids.empty()) return;
    Evaluator clients_eval(backend_, *model_, data_->train_pool, std::move(ids), config_.eval_batch);
    m = clients_eval.evaluate(global_.data());
    r.bytes_feedback = int64_t(online.size()) * m.classes * m.classes * int64_t(sizeof(int32_t));
    r.replan.bytes = r.bytes_feedback;
  }
  r.replanned = true;
  r.replan.recall = m.recall;
  recall_ = smooth_recall(recall_, m.recall, feedback_.smoothing);
  for (double& v : recall_) v = double(float(v));  // as a checkpoint keeps it, so resuming is exact
  r.replan.smoothed = recall_;
  apply_class_weights(recall_weights(recall_, feedback_.beta, feedback_.max_ratio), &r.replan);
  r.replan.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::vector<int64_t> FederatedRun::sample_weighted(int64_t count, int round, std::vector<double>& inclusion) const {
  std::vector<double> w(sampling_weight_.size(), 0.0);
  for (int64_t k = 0; k < int64_t(w.size()); ++k)
    if (systems_.online(k, round)) w[k] = sampling_weight_[k];
  return sample_proportional(w, count, seed_, round, inclusion);
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
  std::vector<double> inclusion;  // weighted sampling: each online client's probability
  {
    PhaseScope phase("sample", &r.times.sample);
    if (!sampling_weight_.empty()) {
      online = sample_weighted(config_.clients_per_round, round, inclusion);
    } else {
      online = systems_.always_online()
                   ? sample_clients(store.num_clients(), config_.clients_per_round, seed_, round)
                   : sample_online_clients(store.num_clients(), config_.clients_per_round, seed_, round);
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
