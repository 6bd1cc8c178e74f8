// Planning in the round loop: what the clients train on and how the server adapts it — the
// augmentation plan for the reported class sizes, drift steps (the clients' data and population
// change; the server replans when the reported histogram has moved), the feedback loop's class
// weights (augmentation, the scheduler's target, client sampling), and their checkpointed state.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "astraea/core/error.hpp"
#include "astraea/core/rng.hpp"
#include "astraea/core/trace.hpp"
#include "astraea/fl/federated_run.hpp"
#include "device_data.hpp"

namespace astraea {
namespace {

// KL(p || q) of two class-size vectors, with half a sample added to every class so that a class
// the plan never saw (an emerging one) counts as a large move, not an infinite one.
double histogram_kl(const std::vector<int64_t>& p, const std::vector<int64_t>& q) {
  const double np = std::accumulate(p.begin(), p.end(), 0.0) + 0.5 * double(p.size());
  const double nq = std::accumulate(q.begin(), q.end(), 0.0) + 0.5 * double(q.size());
  double kl = 0;
  for (size_t y = 0; y < p.size(); ++y) {
    const double a = (double(p[y]) + 0.5) / np, b = (double(q[y]) + 0.5) / nq;
    kl += a * std::log(a / b);
  }
  return kl;
}

}  // namespace

void FederatedRun::split_held_out() {
  // Each client holds back a share of its samples, never trained on, to measure the model.
  const ClientStore& store = population();
  own_store_ = std::make_unique<ClientStore>(store.classes());
  held_out_.assign(size_t(store.num_clients()), {});
  for (int64_t k = 0; k < store.num_clients(); ++k) {
    std::vector<int32_t> ids(store.samples(k), store.samples(k) + store.size(k));
    HostEngine engine = make_host_engine(seed_, RngStream::kPartition, uint32_t(k), 7);
    for (size_t i = ids.size(); i > 1; --i) std::swap(ids[i - 1], ids[engine() % i]);
    const size_t hold = std::min(ids.size() - 1, size_t(std::floor(feedback_.validation * double(ids.size()))));
    held_out_[k].assign(ids.begin(), ids.begin() + std::ptrdiff_t(hold));
    std::vector<int32_t> keep(ids.begin() + std::ptrdiff_t(hold), ids.end());
    std::sort(keep.begin(), keep.end());
    own_store_->add_client(keep.data(), int64_t(keep.size()), train_data_.labels);
  }
}

std::vector<int64_t> FederatedRun::reported_histogram() const {
  const ClientStore& s = base_store();
  std::vector<int64_t> h(size_t(s.classes()), 0);
  for (int64_t k = 0; k < s.num_clients(); ++k) {
    if (!active_.empty() && !active_[k]) continue;
    for (int y = 0; y < s.classes(); ++y) h[y] += s.histogram_row(k)[y];
  }
  return h;
}

void FederatedRun::plan_augmentation(const std::vector<int64_t>& histogram) {
  planned_histogram_ = histogram;
  stale_ = true;
  if (astraea_.augmentation.method == "none") return;
  // The rules compare class sizes with the target's: C_y / (N t_y) (uniform: C_y itself).
  std::vector<int64_t> sizes = histogram;
  if (!scheduler_->uniform_target()) {
    const int classes = int(sizes.size());
    for (int y = 0; y < classes; ++y) sizes[y] = std::llround(double(sizes[y]) / (classes * std::max(target_[y], 1e-12)));
  }
  base_ratios_ = augmentation_ratios(sizes, astraea_.augmentation);
}

void FederatedRun::rebuild_data() {
  const int classes = base_store().classes();
  const bool weighted = !recall_.empty();
  if (astraea_.augmentation.method != "none") {
    std::vector<double> ratios = base_ratios_;
    if (weighted && feedback_.augmentation) {
      for (int y = 0; y < classes; ++y) ratios[y] *= std::max(1.0, class_weights_[y]);  // never below the rules
    }
    augmented_ = std::make_unique<AugmentedData>(
        augment_clients(base_store(), train_data_, astraea_.augmentation, ratios, seed_, backend_));
  }
  data_->set_extra(backend_, augmented_.get());
  if (loss_) loss_->prepare(backend_, clients().histogram().data(), clients().num_clients(), clients().classes());
  if (weighted && feedback_.sampling) {
    const ClientStore& s = base_store();
    sampling_weight_.assign(size_t(s.num_clients()), 0.0);
    for (int64_t k = 0; k < s.num_clients(); ++k) {
      double sum = 0;
      for (int y = 0; y < classes; ++y) sum += s.histogram_row(k)[y] * class_weights_[y];
      sampling_weight_[k] = s.size(k) > 0 ? sum / double(s.size(k)) : 0.0;
    }
  }
  stale_ = false;
}

void FederatedRun::begin_round(int round, RoundResult& r) {
  if (drift_.enabled()) {
    const int step = drift_step(drift_, round);
    if (step != drift_step_) {
      drifted_ = std::make_unique<ClientStore>(drifted_store(store_, train_data_.labels, drift_, step, seed_));
      active_ = active_clients(store_.num_clients(), drift_, step, seed_);
      if (feedback_.active() && feedback_.source == "federated") split_held_out();
      // The clients report their new histograms; the server replans when they moved far enough.
      const std::vector<int64_t> reported = reported_histogram();
      const double kl = histogram_kl(reported, planned_histogram_);
      const bool replan = drift_.replan_kl > 0 && kl > drift_.replan_kl;
      if (replan) plan_augmentation(reported);
      stale_ = true;
      drift_step_ = step;
      if (round > 1 && step != drift_step(drift_, round - 1)) {  // a step begins (not a resume)
        r.drifted = true;
        r.drift.step = step;
        r.drift.histogram = reported;
        r.drift.kl = kl;
        r.drift.replanned = replan;
        r.drift.active_clients = active_.empty() ? store_.num_clients()
                                                 : int64_t(std::count(active_.begin(), active_.end(), char(1)));
      }
    }
  }
  if (stale_) {
    PhaseScope phase("augment", &r.times.augment);
    rebuild_data();
  }
  if (r.drifted && augmented_) r.drift.ratios = augmented_->ratios;
}

bool FederatedRun::available(int64_t k, int round) const {
  return (active_.empty() || active_[k]) && systems_.online(k, round);
}

std::vector<int64_t> FederatedRun::sample_available_clients(int64_t count, int round) const {
  const int64_t total = store_.num_clients();
  if (active_.empty() && systems_.always_online()) return sample_clients(total, count, seed_, uint32_t(round));
  std::vector<int64_t> up;
  for (int64_t k = 0; k < total; ++k)
    if (available(k, round)) up.push_back(k);
  if (int64_t(up.size()) <= count) return up;
  std::vector<int64_t> picked;
  for (int64_t i : sample_clients(int64_t(up.size()), count, seed_, uint32_t(round))) picked.push_back(up[size_t(i)]);
  return picked;  // ascending, as up is
}

std::vector<int64_t> FederatedRun::sample_weighted(int64_t count, int round, std::vector<double>& inclusion) const {
  std::vector<double> w(sampling_weight_.size(), 0.0);
  for (int64_t k = 0; k < int64_t(w.size()); ++k)
    if (available(k, round)) w[k] = sampling_weight_[k];
  return sample_proportional(w, count, seed_, round, inclusion);
}

void FederatedRun::set_class_weights(const std::vector<double>& w, Replan* report) {
  const int classes = int(w.size());
  class_weights_ = w;
  if (feedback_.augmentation && augmented_ && report) {
    report->ratios_before = augmented_->ratios;
    for (int y = 0; y < classes; ++y) report->ratios_after.push_back(base_ratios_[y] * std::max(1.0, w[y]));
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
  if (report) report->sampling = feedback_.sampling;
  stale_ = stale_ || feedback_.augmentation || feedback_.sampling;
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
  set_class_weights(recall_weights(recall_, feedback_.beta, feedback_.max_ratio), &r.replan);
  if (stale_) rebuild_data();
  r.replan.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

AlgorithmState FederatedRun::algorithm_state() const {
  AlgorithmState s = server_->state();
  s.append(client_->state());
  // The smoothed recall determines every replanned quantity; none exists before the first replan.
  if (feedback_.active() && !recall_.empty()) {
    s.tensors.push_back(StateTensor{"feedback/recall", {int64_t(recall_.size())},
                                    std::vector<float>(recall_.begin(), recall_.end())});
  }
  // Under drift the plan depends on history: the class sizes it was made for.
  if (drift_.enabled() && !planned_histogram_.empty()) {
    s.tensors.push_back(StateTensor{"drift/planned_histogram", {int64_t(planned_histogram_.size())},
                                    std::vector<float>(planned_histogram_.begin(), planned_histogram_.end())});
  }
  return s;
}

void FederatedRun::restore_algorithm_state(const AlgorithmState& state, const std::string& source) {
  server_->restore(state, source);
  client_->restore(state, source);
  const size_t classes = class_weights_.size();
  if (drift_.enabled()) {
    const StateTensor* h = state.find("drift/planned_histogram");
    if (!h || h->data.size() != classes) ASTRAEA_FAIL("{}: holds no drift/planned_histogram of {} classes", source, classes);
    std::vector<int64_t> planned(classes);
    for (size_t y = 0; y < classes; ++y) planned[y] = std::llround(h->data[y]);
    drift_step_ = -1;  // the next round rebuilds its step's data, comparing with this plan
    plan_augmentation(planned);
  }
  if (!feedback_.active()) return;
  const StateTensor* r = state.find("feedback/recall");
  if (!r) return;  // saved before the first replan
  if (r->data.size() != classes) {
    ASTRAEA_FAIL("{}: feedback/recall has {} classes, the run {}", source, r->data.size(), classes);
  }
  recall_.assign(r->data.begin(), r->data.end());
  set_class_weights(recall_weights(recall_, feedback_.beta, feedback_.max_ratio), nullptr);
}

}  // namespace astraea
