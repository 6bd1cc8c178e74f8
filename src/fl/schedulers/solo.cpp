// "none": every online client is its own mediator (FedAvg).
#include "schedulers.hpp"

namespace astraea::schedulers {
namespace {

class SoloScheduler final : public MediatorScheduler {
 public:
  std::string name() const override { return "none"; }
  MediatorGroups schedule_rows(const int32_t*, int, const std::vector<int64_t>& ids, uint32_t) override {
    MediatorGroups g;
    for (int64_t k : ids) g.push_back({k});
    return g;
  }
};

}  // namespace

std::unique_ptr<MediatorScheduler> make_solo(const SchedulerOptions&) { return std::make_unique<SoloScheduler>(); }

}  // namespace astraea::schedulers
