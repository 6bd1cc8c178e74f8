// The feedback loop (DESIGN section 4): every `every` rounds the server measures per-class recall
// of the global model — on a balanced validation split held out of the test set ("server"), or on
// the online clients' own held-out samples, whose confusion counts they upload ("federated") — and
// replans what it controls: augmentation ratios, the scheduler's target distribution and which
// clients it samples. With w_y = (mean recall / recall_y)^beta (recall floored at 0.01):
//   augmentation  R_y <- R0_y * clamp(w_y, 1, max_ratio): weak classes get more generated samples;
//   target        t_y ∝ u_y * w_y (u: astraea.target): mediators aim to over-represent weak classes;
//   sampling      client k's weight: the mean w over its samples; clients are drawn with
//                 probabilities proportional to it (Poisson, c expected) and their updates weighted
//                 by n_k / pi_k (Horvitz-Thompson), so the aggregate stays an unbiased estimate of
//                 the full-participation one.
#pragma once

#include <string>
#include <vector>

namespace astraea {

// [feedback]
struct FeedbackConfig {
  int every = 0;                  // rounds between replans; 0: no loop
  std::string source = "server";  // server | federated
  double validation = 0.1;        // share held out (of each class of the test set, or of each client)
  double beta = 1.0;
  double max_ratio = 10.0;        // bound on the factor a replan applies to a class's augmentation
  bool augmentation = true;       // what a replan changes
  bool target = true;
  bool sampling = false;
  bool active() const { return every > 0; }
};

// w_y = (mean recall / max(recall_y, 0.01))^beta.
std::vector<double> recall_weights(const std::vector<double>& recall, double beta);

// What one replan did, for rounds.jsonl.
struct Replan {
  std::vector<double> recall;
  std::vector<double> ratios_before, ratios_after;  // augmentation (empty when unchanged)
  std::vector<double> target_before, target_after;  // scheduler target (empty when unchanged)
  bool sampling = false;                            // client sampling weights were set
  double seconds = 0;                               // the replan's own wall time
  int64_t bytes = 0;                                // uploaded confusion counts (federated source)
};

}  // namespace astraea
