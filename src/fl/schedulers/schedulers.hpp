// The scheduler family's entries (private to src/fl/schedulers): each file defines its factory,
// scheduler_registry.cpp lists them.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "astraea/fl/mediator_scheduler.hpp"

namespace astraea::schedulers {

// A scheduler that is a pure function of the rows and gamma.
class RowsScheduler final : public MediatorScheduler {
 public:
  using Algorithm = MediatorGroups (*)(const int32_t*, int, const std::vector<int64_t>&, int);
  RowsScheduler(std::string name, Algorithm algorithm, int gamma)
      : name_(std::move(name)), algorithm_(algorithm), gamma_(gamma) {}
  std::string name() const override { return name_; }
  MediatorGroups schedule_rows(const int32_t* histograms, int classes, const std::vector<int64_t>& ids,
                               uint32_t) override {
    return algorithm_(histograms, classes, ids, gamma_);
  }

 private:
  std::string name_;
  Algorithm algorithm_;
  int gamma_;
};

std::unique_ptr<MediatorScheduler> make_solo(const SchedulerOptions& o);
std::unique_ptr<MediatorScheduler> make_greedy(const SchedulerOptions& o);
std::unique_ptr<MediatorScheduler> make_greedy_reference(const SchedulerOptions& o);
std::unique_ptr<MediatorScheduler> make_greedy_batched(const SchedulerOptions& o);
std::unique_ptr<MediatorScheduler> make_deficit(const SchedulerOptions& o);
std::unique_ptr<MediatorScheduler> make_random(const SchedulerOptions& o);
std::unique_ptr<MediatorScheduler> make_balanced(const SchedulerOptions& o);

}  // namespace astraea::schedulers
