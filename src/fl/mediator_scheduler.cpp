#include "astraea/fl/mediator_scheduler.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "astraea/backend/backend.hpp"
#include "astraea/core/error.hpp"
#include "astraea/core/rng.hpp"
#include "astraea/fl/kl_to_uniform.hpp"
#include "astraea/fl/mediator_score.hpp"

namespace astraea {
namespace {

class SoloScheduler final : public MediatorScheduler {
 public:
  std::string name() const override { return "none"; }
  MediatorGroups schedule(const ClientStore&, const std::vector<int64_t>& online, uint32_t) override {
    MediatorGroups g;
    for (int64_t k : online) g.push_back({k});
    return g;
  }
};

// The greedy and its approximation, over the online clients' histogram rows.
class HistogramScheduler final : public MediatorScheduler {
 public:
  using Algorithm = MediatorGroups (*)(const int32_t*, int, const std::vector<int64_t>&, int);
  HistogramScheduler(std::string name, Algorithm algorithm, int gamma, Backend* device = nullptr,
                     int64_t device_from = 0)
      : name_(std::move(name)), algorithm_(algorithm), gamma_(gamma), device_(device), device_from_(device_from) {}
  std::string name() const override { return name_; }
  MediatorGroups schedule(const ClientStore& store, const std::vector<int64_t>& online, uint32_t) override {
    std::vector<int32_t> rows(online.size() * store.classes());
    for (size_t i = 0; i < online.size(); ++i) {
      std::copy_n(store.histogram_row(online[i]), store.classes(), rows.begin() + i * store.classes());
    }
    if (device_ && static_cast<int64_t>(online.size()) >= device_from_) {
      return greedy_mediators_batched(*device_, rows.data(), store.classes(), online, gamma_);
    }
    return algorithm_(rows.data(), store.classes(), online, gamma_);
  }

 private:
  std::string name_;
  Algorithm algorithm_;
  int gamma_;
  Backend* device_;  // the greedy's device path, when set
  int64_t device_from_;
};

class RandomScheduler final : public MediatorScheduler {
 public:
  RandomScheduler(int gamma, uint64_t seed) : gamma_(gamma), seed_(seed) {}
  std::string name() const override { return "random"; }
  MediatorGroups schedule(const ClientStore&, const std::vector<int64_t>& online, uint32_t round) override {
    std::vector<int64_t> order = online;
    HostEngine engine = make_host_engine(seed_, RngStream::kScheduler, round);
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[engine() % i]);
    MediatorGroups g;
    for (size_t at = 0; at < order.size(); at += gamma_) {
      g.emplace_back(order.begin() + at, order.begin() + std::min(order.size(), at + size_t(gamma_)));
    }
    return g;
  }

 private:
  int gamma_;
  uint64_t seed_;
};

}  // namespace

MediatorGroups greedy_mediators_reference(const int32_t* histograms, int classes, const std::vector<int64_t>& ids,
                                          int gamma) {
  ASTRAEA_CHECK(gamma >= 1, "gamma {}", gamma);
  int64_t most = 0;
  for (size_t i = 0; i < ids.size() * classes; ++i) most = std::max<int64_t>(most, histograms[i]);
  const MediatorScore score(classes, std::min<int64_t>(most * gamma, 1 << 16));
  std::vector<size_t> remaining(ids.size());
  std::iota(remaining.begin(), remaining.end(), 0);
  std::vector<int64_t> merged(classes);
  std::vector<double> scores;
  MediatorGroups groups;
  while (!remaining.empty()) {
    std::fill(merged.begin(), merged.end(), 0);
    std::vector<int64_t> group;
    while (!remaining.empty() && static_cast<int>(group.size()) < gamma) {
      scores.resize(remaining.size());
      double least = std::numeric_limits<double>::infinity();
      for (size_t j = 0; j < remaining.size(); ++j) {
        scores[j] = score.score(merged.data(), histograms + remaining[j] * classes);
        least = std::min(least, scores[j]);
      }
      size_t at = 0;  // remaining is ascending: the first within the tie window is the lowest id
      while (scores[at] > least + kScoreTie) ++at;
      const size_t pick = remaining[at];
      for (int y = 0; y < classes; ++y) merged[y] += histograms[pick * classes + y];
      group.push_back(ids[pick]);
      remaining.erase(remaining.begin() + static_cast<std::ptrdiff_t>(at));
    }
    groups.push_back(std::move(group));
  }
  return groups;
}

double mean_group_kl(const ClientStore& store, const MediatorGroups& groups) {
  if (groups.empty()) return 0.0;
  double sum = 0;
  std::vector<int64_t> merged(store.classes());
  for (const auto& g : groups) {
    std::fill(merged.begin(), merged.end(), 0);
    for (int64_t k : g)
      for (int y = 0; y < store.classes(); ++y) merged[y] += store.histogram_row(k)[y];
    sum += kl_to_uniform(merged.data(), store.classes());
  }
  return sum / groups.size();
}

std::unique_ptr<MediatorScheduler> make_scheduler(const std::string& name, int gamma, uint64_t seed, Backend* device,
                                                  int64_t device_from) {
  ASTRAEA_REQUIRE(gamma >= 1, "astraea.mediator_size = {}: must be at least 1", gamma);
  if (name == "none") return std::make_unique<SoloScheduler>();
  if (name == "greedy") {
    if (device && !device->is_device()) device = nullptr;
    return std::make_unique<HistogramScheduler>(name, greedy_mediators, gamma, device, device_from);
  }
  if (name == "deficit") return std::make_unique<HistogramScheduler>(name, deficit_mediators, gamma);
  if (name == "random") return std::make_unique<RandomScheduler>(gamma, seed);
  ASTRAEA_FAIL("astraea.scheduler = \"{}\": expected none, greedy, random or deficit", name);
}

}  // namespace astraea
