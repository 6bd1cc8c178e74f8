// The time a round really takes. Each client has a compute speed (samples/s), a link (MB/s and a
// latency per model transfer) and an availability (the chance it is online in a round, optionally
// following a day), all drawn from the experiment seed. A client visit costs
//   2 (latency + model MB / bandwidth) + samples trained / speed
// (the model in, from the server or the previous client of the chain, and out); a mediator's chain
// is the sum of its visits, a round the slowest mediator (FedAvg: the slowest client). With a
// deadline, visits that would end after it are dropped: a mediator keeps what its finished visits
// trained ("client"), or is dropped whole unless all finish ("mediator"). Clients may also drop out
// during a round; their visits are skipped. Infinite speeds and links, full availability and no
// deadline change nothing: every round is what it is without this model.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace astraea {

// [systems]
struct SystemsConfig {
  double speed = 0;            // median samples/s; 0 = infinite (no compute time)
  double speed_sigma = 0;      // lognormal spread of speeds
  double bandwidth = 0;        // median MB/s; 0 = infinite
  double bandwidth_sigma = 0;
  double latency = 0;          // seconds per model transfer
  double availability = 1.0;   // chance a client is online in a round
  double diurnal = 0;          // in [0, 1): availability x (1 - diurnal cos(2 pi (round / day_rounds + phase)))
  int day_rounds = 24;         // rounds per simulated day
  double dropout = 0;          // chance an online client leaves during the round (its visits skipped)
  double deadline = 0;         // seconds per round; 0 = none
  std::string late = "client";  // "client" | "mediator": what a deadline cuts
};

// A mediator's visits that count this round, and the time its chain takes.
struct ChainTiming {
  std::vector<size_t> kept;     // positions of the kept visits in the chain given
  double seconds = 0;           // until its last kept visit ends
  int64_t dropped_visits = 0;   // cut by the deadline or skipped (dropped out)
};

class ClientSystems {
 public:
  ClientSystems(const SystemsConfig& config, int64_t clients, uint64_t seed);

  // False when nothing is simulated: rounds are then exactly what they are without this model.
  bool active() const { return active_; }
  bool always_online() const { return config_.availability >= 1.0 && config_.diurnal == 0; }

  double speed(int64_t k) const { return speed_.empty() ? 0 : speed_[k]; }          // 0: infinite
  double bandwidth(int64_t k) const { return bandwidth_.empty() ? 0 : bandwidth_[k]; }  // 0: infinite
  double online_probability(int64_t k, int round) const;
  bool online(int64_t k, int round) const;         // drawn per (client, round)
  bool drops_out(int64_t k, int round) const;      // leaves during the round

  // Seconds of one visit of client k that trains `samples` samples of a model of `model_mb` MB.
  double visit_seconds(int64_t k, int64_t samples, double model_mb) const;

  // The chain of a mediator: `visits` in order with the samples each trains; applies dropouts and
  // the deadline.
  ChainTiming chain(const std::vector<int64_t>& visits, const std::vector<int64_t>& samples, double model_mb,
                    int round) const;

  const SystemsConfig& config() const { return config_; }

 private:
  SystemsConfig config_;
  uint64_t seed_;
  bool active_ = false;
  std::vector<double> speed_, bandwidth_, phase_;
};

}  // namespace astraea
