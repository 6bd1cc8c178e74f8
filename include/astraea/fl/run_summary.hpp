// What a run amounts to, from its rounds: final and best test accuracy, per-class F1 and recall at
// the end, traffic, rounds and bytes to the target accuracy, mean KL figures, time. Typed, so
// compare and sweeps tabulate runs without re-reading their JSON.
#pragma once

#include <cstdint>
#include <vector>

#include "astraea/fl/federated_run.hpp"

namespace astraea {

struct RunSummary {
  int rounds = 0;
  bool evaluated = false;  // false: no round was evaluated, the accuracy fields are unset
  double final_accuracy = 0, best_accuracy = 0, final_macro_f1 = 0;
  int final_round = 0, best_round = 0;
  std::vector<double> final_f1, final_recall;
  int64_t bytes_client_mediator = 0, bytes_mediator_server = 0;
  double target_accuracy = 0;  // 0: none set
  bool reached_target = false;
  int target_round = 0;
  int64_t target_bytes_client_mediator = 0, target_bytes_mediator_server = 0;
  double mean_mediator_kl = 0, mean_client_kl = 0;  // means over rounds
  double weighted_mediator_kl = 0, max_mediator_kl = 0, floor_kl = 0;  // means over rounds
  double seconds = 0, train_seconds = 0;
  int diverged_round = 0;  // the run stopped at this round on NaN or infinite values (0: it did not)
  double simulated_seconds = 0, target_simulated_seconds = 0;  // [systems]: total, and until the target
  int replans = 0;              // [feedback]: how often the loop replanned
  double replan_seconds = 0;    // and the server's time on it
  int64_t bytes_feedback = 0;   // confusion counts uploaded (federated feedback); not in bytes_total

  int64_t bytes_total() const { return bytes_client_mediator + bytes_mediator_server; }
  int64_t target_bytes_total() const { return target_bytes_client_mediator + target_bytes_mediator_server; }
};

RunSummary summarize(const std::vector<RoundResult>& rounds, double target_accuracy);

}  // namespace astraea
