// The feedback loop (DESIGN section 4): every `every` rounds the server measures per-class recall
// of the global model — on a balanced validation split held out of the test set ("server"), or on
// the online clients' own held-out samples, whose confusion counts they upload ("federated") — and
// replans what it controls: augmentation ratios, the scheduler's target distribution and which
// clients it samples. Recall is smoothed across replans (r <- (1 - s) r + s r_new, s = smoothing:
// one early, noisy measurement should not swing the plan) and turned into class weights
// w_y = clamp((mean r / r_y)^beta, 1/max_ratio, max_ratio) (r_y floored at 0.01):
//   augmentation  R_y <- R0_y * clamp(w_y, 1, max_ratio): weak classes get more generated samples;
//   target        t_y ∝ u_y * w_y (u: astraea.target): mediators aim to over-represent weak classes;
//   sampling      client k's weight: the mean w over its samples; clients are drawn with
//                 probabilities proportional to it (Poisson, c expected) and their updates weighted
//                 by n_k / pi_k (Horvitz-Thompson), so the aggregate stays an unbiased estimate of
//                 the full-participation one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace astraea {

// [feedback]
struct FeedbackConfig {
  int every = 0;                  // rounds between replans; 0: no loop
  std::string source = "server";  // server | federated
  double validation = 0.1;        // share held out (of each class of the test set, or of each client)
  double beta = 1.0;
  double max_ratio = 4.0;         // bound on a class weight (and 1/bound below)
  double smoothing = 0.5;         // weight of the newest recall in the running estimate (1: no memory)
  bool augmentation = true;       // what a replan changes (all off: monitoring only, recall recorded)
  bool target = true;
  bool sampling = false;
  bool active() const { return every > 0; }
};

// w_y = clamp((mean recall / max(recall_y, 0.01))^beta, 1/max_ratio, max_ratio).
std::vector<double> recall_weights(const std::vector<double>& recall, double beta, double max_ratio);

// The running recall estimate after a new measurement (the first measurement: itself).
std::vector<double> smooth_recall(const std::vector<double>& previous, const std::vector<double>& measured,
                                  double smoothing);

// Poisson sampling in proportion to `weight` (0: offline or never): client k joins with probability
// pi_k = min(1, count w_k / sum w), independently of the others (c expected when no pi_k reaches 1),
// from the client-sampling stream of (seed, round); `inclusion` receives the pi_k of each client drawn
// (ascending ids). A round that draws nobody takes the heaviest client, with its pi_k.
std::vector<int64_t> sample_proportional(const std::vector<double>& weight, int64_t count, uint64_t seed, int round,
                                         std::vector<double>& inclusion);

// What one replan did, for rounds.jsonl.
struct Replan {
  std::vector<double> recall;    // measured this time
  std::vector<double> smoothed;  // the running estimate the weights come from
  std::vector<double> ratios_before, ratios_after;  // augmentation (empty when unchanged)
  std::vector<double> target_before, target_after;  // scheduler target (empty when unchanged)
  bool sampling = false;                            // client sampling weights were set
  double seconds = 0;                               // the replan's own wall time
  int64_t bytes = 0;                                // uploaded confusion counts (federated source)
};

}  // namespace astraea
