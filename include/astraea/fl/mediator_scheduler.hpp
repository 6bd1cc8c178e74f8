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
// Ties (scores within kScoreTie) go to the lowest client id. Schedulers by name: "none" (every
// client alone: FedAvg), "greedy" (the above), "random" (the greedy's group sizes, members drawn
// at random: the control that asks whether the KL greedy matters).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "astraea/data/client_store.hpp"

namespace astraea {

using MediatorGroups = std::vector<std::vector<int64_t>>;

// Two scores closer than this (absolute, in nats) are a tie: the lowest client id wins. Keeps the
// schedule independent of floating-point summation order for histograms that are permutations of
// each other.
constexpr double kScoreTie = 1e-12;

class MediatorScheduler {
 public:
  virtual ~MediatorScheduler() = default;
  virtual std::string name() const = 0;
  // `online` in ascending id order.
  virtual MediatorGroups schedule(const ClientStore& store, const std::vector<int64_t>& online, uint32_t round) = 0;
};

std::unique_ptr<MediatorScheduler> make_scheduler(const std::string& name, int gamma, uint64_t seed);

// The greedy on explicit [clients x classes] histograms (row i is online client ids[i]).
MediatorGroups greedy_mediators(const int32_t* histograms, int classes, const std::vector<int64_t>& ids, int gamma);

// Mean over groups of KL(merged group distribution || uniform).
double mean_group_kl(const ClientStore& store, const MediatorGroups& groups);

}  // namespace astraea
