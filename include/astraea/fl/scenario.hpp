// The world a run happens in, beyond its data and its method: the clients' systems and time
// ([systems]), the feedback loop ([feedback]) and drift ([drift]). Each part's defaults change
// nothing: a default Scenario is the plain simulation.
#pragma once

#include <cstdint>
#include <vector>

#include "astraea/data/drift.hpp"
#include "astraea/fl/client_systems.hpp"
#include "astraea/fl/feedback.hpp"

namespace astraea {

struct Scenario {
  SystemsConfig systems;
  FeedbackConfig feedback;
  DriftConfig drift;
};

// A drift step that began with a round, for rounds.jsonl.
struct DriftEvent {
  int step = 0;
  int64_t active_clients = 0;
  std::vector<int64_t> histogram;  // the global class sizes the active clients report
  double kl = 0;                   // KL(histogram || the one augmentation was planned for)
  bool replanned = false;          // over drift.replan_kl: ratios recomputed
  std::vector<double> ratios;      // the augmentation ratios in force from this round
};

}  // namespace astraea
