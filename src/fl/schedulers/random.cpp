// "random": groups of gamma (the greedy's sizes: full groups, the last one short) with members
// drawn at random each round — the control that asks whether the KL greedy matters.
#include <algorithm>

#include "astraea/core/rng.hpp"
#include "schedulers.hpp"

namespace astraea::schedulers {
namespace {

class RandomScheduler final : public MediatorScheduler {
 public:
  RandomScheduler(int gamma, uint64_t seed) : gamma_(gamma), seed_(seed) {}
  std::string name() const override { return "random"; }
  MediatorGroups schedule_rows(const int32_t*, int, const std::vector<int64_t>& ids, uint32_t round) override {
    std::vector<int64_t> order = ids;
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

std::unique_ptr<MediatorScheduler> make_random(const SchedulerOptions& o) {
  return std::make_unique<RandomScheduler>(o.gamma, o.seed);
}

}  // namespace astraea::schedulers
