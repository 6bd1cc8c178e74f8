#include "astraea/core/trace.hpp"

#include <fstream>

#include <nlohmann/json.hpp>

#include "astraea/core/error.hpp"

#if ASTRAEA_HAVE_CUDA
#include <nvtx3/nvToolsExt.h>
#endif

namespace astraea {

Tracer& Tracer::instance() {
  static Tracer tracer;
  return tracer;
}

void Tracer::enable(const std::string& path, int rank) {
  std::lock_guard<std::mutex> lock(mutex_);
  enabled_ = true;
  rank_ = rank;
  path_ = path;
  events_.clear();
  origin_ = std::chrono::steady_clock::now();
}

double Tracer::now_us() const {
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - origin_).count();
}

void Tracer::record(const std::string& name, const char* category, double start_us, double duration_us, int track) {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(mutex_);
  events_.push_back(Event{name, category, start_us, duration_us, track});
}

void Tracer::write() const {
  if (!enabled_) return;
  nlohmann::json trace = nlohmann::json::array();
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<int> tracks;
  for (const Event& e : events_) {
    trace.push_back({{"name", e.name}, {"cat", e.category}, {"ph", "X"}, {"ts", e.start_us}, {"dur", e.duration_us},
                     {"pid", rank_}, {"tid", e.track}});
    if (std::find(tracks.begin(), tracks.end(), e.track) == tracks.end()) tracks.push_back(e.track);
  }
  trace.push_back(
      {{"name", "process_name"}, {"ph", "M"}, {"pid", rank_}, {"args", {{"name", "astraea rank " + std::to_string(rank_)}}}});
  for (int t : tracks) {
    const std::string label = t == 0 ? "round loop" : "cpu lane " + std::to_string(t - 1);
    trace.push_back({{"name", "thread_name"}, {"ph", "M"}, {"pid", rank_}, {"tid", t}, {"args", {{"name", label}}}});
  }
  std::ofstream out(path_);
  if (!out) ASTRAEA_FAIL("--trace {}: cannot write", path_);
  out << nlohmann::json{{"traceEvents", trace}, {"displayTimeUnit", "ms"}}.dump() << "\n";
  if (!out) ASTRAEA_FAIL("--trace {}: write failed", path_);
}

PhaseScope::PhaseScope(const char* name, double* seconds, int track, const char* category)
    : PhaseScope(std::string(name), seconds, track, category) {}

PhaseScope::PhaseScope(std::string name, double* seconds, int track, const char* category)
    : name_(std::move(name)), seconds_(seconds), track_(track), category_(category),
      start_(std::chrono::steady_clock::now()) {
#if ASTRAEA_HAVE_CUDA
  nvtxRangePushA(name_.c_str());
#endif
}

PhaseScope::~PhaseScope() {
  const auto end = std::chrono::steady_clock::now();
#if ASTRAEA_HAVE_CUDA
  nvtxRangePop();
#endif
  const double seconds = std::chrono::duration<double>(end - start_).count();
  if (seconds_) *seconds_ += seconds;
  Tracer& t = Tracer::instance();
  if (t.enabled()) t.record(name_, category_, t.now_us() - seconds * 1e6, seconds * 1e6, track_);
}

}  // namespace astraea
