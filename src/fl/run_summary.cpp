#include "astraea/fl/run_summary.hpp"

namespace astraea {

RunSummary summarize(const std::vector<RoundResult>& rounds, double target_accuracy) {
  RunSummary s;
  s.rounds = static_cast<int>(rounds.size());
  s.target_accuracy = target_accuracy;
  const RoundResult* best = nullptr;
  const RoundResult* last = nullptr;
  for (const RoundResult& r : rounds) {
    s.bytes_client_mediator += r.bytes_client_mediator;
    s.bytes_mediator_server += r.bytes_mediator_server;
    s.seconds += r.seconds;
    s.train_seconds += r.times.train;
    s.simulated_seconds += r.simulated_seconds;
    s.mean_mediator_kl += r.mean_mediator_kl;
    s.weighted_mediator_kl += r.weighted_mediator_kl;
    s.max_mediator_kl += r.max_mediator_kl;
    s.floor_kl += r.floor_kl;
    s.mean_client_kl += r.mean_client_kl;
    if (r.replanned) {
      ++s.replans;
      s.replan_seconds += r.replan.seconds;
      s.bytes_feedback += r.bytes_feedback;
    }
    if (!r.evaluated) continue;
    last = &r;
    if (!best || r.test.accuracy > best->test.accuracy) best = &r;
    if (!s.reached_target && target_accuracy > 0 && r.test.accuracy >= target_accuracy) {
      s.reached_target = true;
      s.target_round = r.round;
      s.target_bytes_client_mediator = s.bytes_client_mediator;
      s.target_bytes_mediator_server = s.bytes_mediator_server;
      s.target_simulated_seconds = s.simulated_seconds;
    }
  }
  if (!rounds.empty()) {
    s.mean_mediator_kl /= rounds.size();
    s.weighted_mediator_kl /= rounds.size();
    s.max_mediator_kl /= rounds.size();
    s.floor_kl /= rounds.size();
    s.mean_client_kl /= rounds.size();
  }
  if (last) {
    s.evaluated = true;
    s.final_accuracy = last->test.accuracy;
    s.final_round = last->round;
    s.final_f1 = last->test.f1;
    s.final_recall = last->test.recall;
    s.final_macro_f1 = last->test.macro_f1;
    s.best_accuracy = best->test.accuracy;
    s.best_round = best->round;
  }
  return s;
}

}  // namespace astraea
