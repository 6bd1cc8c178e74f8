// The exact greedy with every remaining client scored for every pick, batched through a Backend:
// one KldScores launch over all candidates (dead ones score kDeadScore), one ChunkArgmin launch,
// one download of the chunks' minima, picks and pick scores (one buffer), and the host reduces them. On a GPU this replaces the host's pruned scan
// with brute force at memory bandwidth; on the CPU backend it is the reference's work, and is
// there to test the device path against the host greedy.
#include <algorithm>
#include <cstring>
#include <limits>
#include <numeric>
#include <vector>

#include "astraea/backend/backend.hpp"
#include "astraea/core/error.hpp"
#include "schedulers.hpp"

namespace astraea {

MediatorGroups greedy_mediators_batched(Backend& backend, const int32_t* histograms, int classes,
                                        const std::vector<int64_t>& ids, int gamma, int64_t chunk) {
  if (chunk == 0) chunk = backend.is_device() ? 256 : 4096;
  ASTRAEA_CHECK(gamma >= 1 && chunk >= 1, "gamma {} chunk {}", gamma, chunk);
  const int64_t count = static_cast<int64_t>(ids.size());
  MediatorGroups groups;
  if (count == 0) return groups;
  const int64_t chunks = (count + chunk - 1) / chunk;

  DeviceArray<int32_t> rows(backend, size_t(count) * classes);
  rows.upload(histograms, size_t(count) * classes);
  DeviceArray<int64_t> merged_dev(backend, classes);
  DeviceArray<uint8_t> live(backend, count);
  DeviceArray<double> scores(backend, count);
  // The chunks' results in one buffer, one download per pick: minima, pick scores, then the picks
  // (int64 in double-sized slots).
  static_assert(sizeof(int64_t) == sizeof(double), "picks share the buffer's slots");
  DeviceArray<double> chunk_results(backend, size_t(3 * chunks));
  double* chunk_min = chunk_results.data();
  double* chunk_pick_score = chunk_min + chunks;
  int64_t* chunk_pick = reinterpret_cast<int64_t*>(chunk_min + 2 * chunks);
  {
    const std::vector<uint8_t> all(count, 1);
    live.upload(all.data(), all.size());
  }
  const KldScores score{rows.data(), merged_dev.data(), scores.data(), classes, live.data()};
  const ChunkArgmin reduce{scores.data(), count, chunk, kScoreTie, chunk_min, chunk_pick, chunk_pick_score};

  std::vector<int64_t> merged(classes);
  std::vector<double> results(size_t(3 * chunks)), mins(chunks), pick_scores(chunks);
  std::vector<int64_t> picks(chunks);
  const uint8_t dead = 0;
  int64_t left = count;
  while (left > 0) {
    std::fill(merged.begin(), merged.end(), 0);
    std::vector<int64_t> group;
    while (left > 0 && static_cast<int>(group.size()) < gamma) {
      merged_dev.upload(merged.data(), merged.size());
      backend.launch(score, 1, count);
      backend.launch(reduce, 1, chunks);
      chunk_results.download(results.data(), results.size());
      std::copy(results.begin(), results.begin() + chunks, mins.begin());
      std::copy(results.begin() + chunks, results.begin() + 2 * chunks, pick_scores.begin());
      std::memcpy(picks.data(), results.data() + 2 * chunks, size_t(chunks) * sizeof(int64_t));
      const int64_t winner = lowest_in_window(mins, picks, pick_scores, count, chunk, kScoreTie, [&](size_t c, double* out) {
        const int64_t begin = int64_t(c) * chunk;
        backend.download(out, scores.data() + begin, size_t(std::min(count, begin + chunk) - begin) * sizeof(double));
      });
      ASTRAEA_CHECK(winner >= 0, "batched greedy: no live candidate with {} left", left);
      for (int y = 0; y < classes; ++y) merged[y] += histograms[winner * classes + y];
      backend.upload(live.data() + winner, &dead, 1);
      group.push_back(ids[winner]);
      --left;
    }
    groups.push_back(std::move(group));
  }
  return groups;
}

}  // namespace astraea

namespace astraea::schedulers {
namespace {

class BatchedScheduler final : public MediatorScheduler {
 public:
  BatchedScheduler(Backend& backend, int gamma) : backend_(backend), gamma_(gamma) {}
  std::string name() const override { return "batched"; }
  MediatorGroups schedule_rows(const int32_t* histograms, int classes, const std::vector<int64_t>& ids,
                               uint32_t) override {
    return greedy_mediators_batched(backend_, histograms, classes, ids, gamma_);
  }

 private:
  Backend& backend_;
  int gamma_;
};

}  // namespace

std::unique_ptr<MediatorScheduler> make_greedy_batched(const SchedulerOptions& o) {
  ASTRAEA_REQUIRE(o.backend != nullptr, "astraea.scheduler = \"batched\" needs a backend to score on");
  return std::make_unique<BatchedScheduler>(*o.backend, o.gamma);
}

}  // namespace astraea::schedulers
