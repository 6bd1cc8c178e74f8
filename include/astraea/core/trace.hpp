// Phase timing and tracing. A PhaseScope times one phase: it adds the seconds to a counter (for
// rounds.jsonl and the --profile table), records a Chrome-trace event when tracing is on (open the
// file in Perfetto or chrome://tracing; one track per thread: the round loop and each CPU lane),
// and opens an NVTX range in CUDA builds (Nsight Systems shows the same phases on the GPU timeline).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace astraea {

class Tracer {
 public:
  static Tracer& instance();
  // `rank`: the process id of the events (one process per MPI rank; scripts/merge_traces.py
  // merges the ranks' files into one trace).
  void enable(const std::string& path, int rank = 0);
  bool enabled() const { return enabled_; }
  // A complete event on track `track` (0: the round loop, 1 + lane: CPU lanes).
  void record(const std::string& name, const char* category, double start_us, double duration_us, int track);
  double now_us() const;
  // Writes the Chrome trace JSON; throws naming the path when it cannot.
  void write() const;
  const std::string& path() const { return path_; }

 private:
  struct Event {
    std::string name;
    const char* category;
    double start_us, duration_us;
    int track;
  };
  bool enabled_ = false;
  int rank_ = 0;
  std::string path_;
  std::chrono::steady_clock::time_point origin_ = std::chrono::steady_clock::now();
  mutable std::mutex mutex_;
  std::vector<Event> events_;
};

class PhaseScope {
 public:
  // `seconds` (may be null) accumulates the phase's wall time.
  PhaseScope(const char* name, double* seconds, int track = 0, const char* category = "phase");
  PhaseScope(std::string name, double* seconds, int track, const char* category);
  ~PhaseScope();
  PhaseScope(const PhaseScope&) = delete;
  PhaseScope& operator=(const PhaseScope&) = delete;

 private:
  std::string name_;
  double* seconds_;
  int track_;
  const char* category_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace astraea
