// Mediator rescheduling (Alg. 3 of both Astraea papers). Each round the server groups the online
// clients into mediators of at most gamma clients whose merged label distribution is closest to
// uniform:
//
//   S = online clients; mediators = []
//   while S not empty:
//     m = new mediator
//     while S not empty and |m| < gamma:
//       k = argmin_{i in S} KL(normalize(h_m + h_i) || uniform)
//       m.add(k); S.remove(k)
//     mediators.append(m)
//
// Ties: the pick is the lowest client id among the candidates scoring within kScoreTie of the
// minimum (a rule independent of the order candidates are scored in). The schedulers are a
// registry (scheduler_registry()): "none" (every client alone: FedAvg), "greedy" (the above, exact
// and fast), "reference" (the pseudo-code literally, same groups), "batched" (the same brute force
// batched through a backend, same groups), "random" (the greedy's group sizes, members drawn at
// random: the control that asks whether the KL greedy matters) and "deficit" (an approximation in
// O(c N): fill each mediator's most deficient class from clients bucketed by dominant class).
// Each lives in src/fl/schedulers/<name>.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "astraea/core/registry.hpp"
#include "astraea/data/client_store.hpp"

namespace astraea {

class Backend;

using MediatorGroups = std::vector<std::vector<int64_t>>;

// Scores within this (absolute, in nats) of the minimum tie: the lowest client id wins. Keeps the
// schedule independent of floating-point summation order for histograms that are permutations of
// each other.
constexpr double kScoreTie = 1e-12;

// How a greedy opens each mediator. The papers' pick into an empty mediator is the flattest client
// left, so the clients hardest to balance are left for the last mediators, once their complements
// are gone. `hardest` opens each with the client of most mass off uniform instead (T KL(x || target),
// the cost it brings to any mediator, largest first; ties: the lowest id), which then takes the best
// complements while they are left: the worst mediators are built first, as for a makespan.
enum class MediatorSeed { flattest, hardest };

// T KL(x || uniform) of a histogram: the `hardest` seed's order.
double imbalance_mass(const int32_t* row, int classes);
// Masses within this fraction (of 1 + the largest) of the largest tie: the lowest client id wins.
// Histograms that are not permutations of each other can carry the same mass ([1,0,3,0,2,0,3,3]
// and [1,2,3] over 8 classes), and rounding must not order them.
constexpr double kMassTie = 1e-12;

class MediatorScheduler {
 public:
  virtual ~MediatorScheduler() = default;
  virtual std::string name() const = 0;
  // Row i of `histograms` ([ids x classes]) is client ids[i]; ids ascending.
  virtual MediatorGroups schedule_rows(const int32_t* histograms, int classes, const std::vector<int64_t>& ids,
                                       uint32_t round) = 0;
  // The round's online clients (ascending ids) of `store`.
  MediatorGroups schedule(const ClientStore& store, const std::vector<int64_t>& online, uint32_t round);
  // The distribution mediators aim for, one weight per class (astraea.target, a feedback replan);
  // empty or uniform: uniform. "greedy", "reference" and "balanced" minimise KL(merged || target);
  // "deficit" and "batched" always aim for uniform; "random" and "none" do not aim.
  void set_target(std::vector<double> target);
  const std::vector<double>& target() const { return target_; }
  bool uniform_target() const { return target_.empty(); }

 protected:
  std::vector<double> target_;  // normalised; empty when uniform
};

struct SchedulerOptions {
  int gamma = 10;             // astraea.mediator_size
  uint64_t seed = 1;          // random draws
  Backend* backend = nullptr;  // "batched": where to score (required); "greedy": a device backend
                               // scores rounds of at least `device_from` online clients there
  int64_t device_from = 0;     // 0: never
  std::string balance = "mean";  // "balanced": the objective, weighted mean or max mediator KL
  int balance_passes = 2;        // "balanced": at most this many improvement passes
  double balance_worst_ratio = 0;  // "balanced", mean: then the worst mediator within this many
                                   // times the weighted mean (0: off)
};

using SchedulerFactory = std::unique_ptr<MediatorScheduler> (*)(const SchedulerOptions&);
const Registry<SchedulerFactory>& scheduler_registry();

// The scheduler called `name` (astraea.scheduler); throws naming the key.
std::unique_ptr<MediatorScheduler> make_scheduler(const std::string& name, const SchedulerOptions& options);
// Shorthand for tests and tools.
std::unique_ptr<MediatorScheduler> make_scheduler(const std::string& name, int gamma, uint64_t seed,
                                                  Backend* device = nullptr, int64_t device_from = 0);

// The greedy on explicit [clients x classes] histograms (row i is online client ids[i], ids
// ascending). Exact and fast: identical histograms are scored once, an empty mediator takes the
// client of lowest own score from a sorted list, and otherwise candidates are scanned from the
// largest down, stopping where a bound for every smaller candidate (the open mediator's deficits
// water-filled with that many samples) cannot reach the tie window. Same groups as the reference.
// `threads` scan a pick's candidates together (0: OpenMP's threads from 20,000 distinct histograms
// on, 1 below); the groups do not depend on it.
// `seed`: how each mediator is opened (the papers': flattest).
MediatorGroups greedy_mediators(const int32_t* histograms, int classes, const std::vector<int64_t>& ids, int gamma,
                                int threads = 0, MediatorSeed seed = MediatorSeed::flattest);

// The pseudo-code literally: every remaining client scored for every pick. O(c^2 N / ...): the
// reference the fast greedy is tested against.
MediatorGroups greedy_mediators_reference(const int32_t* histograms, int classes, const std::vector<int64_t>& ids,
                                          int gamma, MediatorSeed seed = MediatorSeed::flattest);

// The reference's brute force batched through a Backend (batched_greedy.cpp): per pick one scoring
// launch over every candidate and one per-chunk argmin launch of `chunk` scores, one download of
// the chunks' results, reduced on the host. Same groups as the reference; on the CPU backend it
// tests the device path. `chunk` 0: 256 on a device (a chunk is one thread's serial scan, so short
// chunks keep the argmin parallel), 4096 on the CPU.
MediatorGroups greedy_mediators_batched(Backend& backend, const int32_t* histograms, int classes,
                                        const std::vector<int64_t>& ids, int gamma, int64_t chunk = 0);

// The approximate "deficit" scheduler on explicit histograms (see deficit_mediators.cpp).
MediatorGroups deficit_mediators(const int32_t* histograms, int classes, const std::vector<int64_t>& ids, int gamma);

// The greedy toward a target distribution (`target`: one weight per class, normalised here): the
// reference's brute force with KL(normalize(m + x) || target) as the score.
MediatorGroups greedy_mediators_to_target(const int32_t* histograms, int classes, const std::vector<int64_t>& ids,
                                          int gamma, const std::vector<double>& target,
                                          MediatorSeed seed = MediatorSeed::flattest);

// "balanced"'s search on its own: improves `groups` (positions into `histograms`, each at most once,
// every group non-empty and within gamma) by swaps and moves of clients between mediators while the objective
// falls: "mean", the sample-weighted mean mediator KL, or "max", the worst mediator's (see
// balanced.cpp). Deterministic for a seed and round. Any grouping can be the start.
struct BalanceOptions {
  int gamma = 10;
  std::string objective = "mean";  // or "max"
  int passes = 2;                  // improvement passes, at most
  uint64_t seed = 1;               // the kicks of iterated local search
  uint32_t round = 0;
  std::vector<double> target;      // empty: uniform
  // false: every exchange is scored exactly, none skipped by its lower bound (the reference the
  // bounds are tested against: the same groups).
  bool bounds = true;
  // Threads for the passes' picks and the worst mediator's scans over every other one (0:
  // OpenMP's); the groups do not depend on it.
  int threads = 0;
  // "max": once the worst mediator is as low as the search takes it, mean passes that take no
  // exchange lifting either mediator above it (the lowest mean that keeps the max).
  bool mean_under_max = true;
  // "mean", when > 0: after the passes, the worst mediator is lowered one exchange at a time (as in
  // the max's rounds) until its KL is at most worst_ratio times the weighted mean, no exchange lowers
  // it, or two exchanges per mediator are spent. 0: off; otherwise at least 1.
  double worst_ratio = 0;
};
MediatorGroups balance_mediators(const int32_t* histograms, int classes, const MediatorGroups& groups,
                                 const BalanceOptions& options);
// Positions into the rows back to client ids (row i is client ids[i]), each mediator's clients in
// ascending id order: the chain order the schedulers return.
void positions_to_chains(MediatorGroups& groups, const std::vector<int64_t>& ids);
// The inverse: client ids to positions into the rows (row i is client ids[i]). Throws naming a
// client that is not among the ids or is in more than one mediator.
void chains_to_positions(MediatorGroups& groups, const std::vector<int64_t>& ids);

// Mean over groups of KL(merged group distribution || uniform).
double mean_group_kl(const ClientStore& store, const MediatorGroups& groups);

}  // namespace astraea
