// Drift ([drift]): every `every` rounds a step of change. Class prevalence rotates (each client's
// samples of class y become samples of class y + rotate*step, drawn from the pool of that class),
// classes emerge (absent at step 0, present in full after `ramp` steps) or fade (the reverse), and
// clients churn (a window of `active` x N clients, of a seeded order, moves by churn x that many
// per step: the oldest leave, new ones join, those who left may return a population later). A
// client keeps its size: a sample of an absent class is replaced by a pool sample of one of the
// client's fully present classes (keyed). Everything is a pure function of (seed, step), so a step's
// partition is rebuilt, not accumulated, and resume needs no history. Step 0 without emerging
// classes is the partition itself.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "astraea/data/client_store.hpp"

namespace astraea {

struct DriftConfig {
  int every = 0;               // rounds per step; 0: no drift
  int rotate = 0;              // classes the prevalence moves per step
  std::vector<int> emerge;     // classes absent at the start
  std::vector<int> fade;       // classes that disappear
  int ramp = 1;                // steps an emerging or fading class takes
  double churn = 0;            // share of the active clients replaced per step
  double active = 1.0;         // share of the population active at a time
  double replan_kl = 0;        // the server replans when the reported global histogram moved this far (KL); 0: never
  bool enabled() const { return every > 0; }
};

// The step a round belongs to (rounds count from 1).
int drift_step(const DriftConfig& drift, int round);

// Share of class y's samples present at `step` (1 unless it emerges or fades).
double class_presence(const DriftConfig& drift, int y, int step);

// The clients' data at `step`: `base` rotated, emerging and fading classes applied. `labels` maps
// sample ids to labels (the pool every replacement is drawn from).
ClientStore drifted_store(const ClientStore& base, const std::vector<int32_t>& labels, const DriftConfig& drift,
                          int step, uint64_t seed);

// Which clients are in the population at `step` (all without churn).
std::vector<char> active_clients(int64_t clients, const DriftConfig& drift, int step, uint64_t seed);

// Checks a drift config against the data's class count; throws naming the key.
void check_drift(const DriftConfig& drift, int classes);

}  // namespace astraea
