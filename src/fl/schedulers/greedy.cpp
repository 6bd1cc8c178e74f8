// The exact mediator greedy, fast. Savings over scoring every remaining client per pick, none of
// which can change a pick (the lowest id within kScoreTie of the minimum score, as in
// greedy_mediators_reference):
//  - identical histograms are one candidate whose representative is its lowest remaining id;
//  - an empty mediator's pick depends only on the candidates' own scores (or, seeding the hardest
//    first, their masses): a sorted list serves it;
//  - otherwise candidates sit in groups by size bucket (ratio 1.25) and dominant class, each sorted
//    by peak count a = max_y x_y (greedy_groups.hpp), and two lower bounds (greedy_bounds.hpp) skip
//    whole runs of them:
//      * water-filling: no candidate of size <= s scores below WF(s), the open mediator with s
//        samples poured into its smallest classes (the minimum of a convex function over the
//        simplex), and WF is non-increasing in s; buckets are visited by decreasing largest size
//        (increasing WF), and the first one above the window ends the pick;
//      * the peak: merged class y holds at least (m_y + a) / (T + s) of the mass, so by the
//        data-processing inequality (two bins: y and the rest) the score is at least the binary
//        KL of that share; within a group, candidates are visited by increasing a and the first
//        block above the window ends the group;
//  - what the bounds leave goes through the spread bound (spread_bound.hpp: KL from the sum of the
//    merged counts' squares, integer dot products) eight blocks of sixteen at a time; blocks with a
//    lane it keeps go through the float screen (score_screen.hpp), and only candidates the screen
//    cannot rule out (a few per pick) are scored exactly.
// A group's first blocks of the next bucket are prefetched while a bucket is scanned. Large
// populations are scanned by a team of spinning threads, each owning every other group (its memory
// stays in one core's cache) with its own tie window, seeded from its share of the group heads.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <functional>
#include <memory>
#include <limits>
#include <numeric>
#include <unordered_map>

#include <omp.h>

#include "astraea/core/error.hpp"
#include "astraea/fl/mediator_scheduler.hpp"
#include "astraea/backend/backend.hpp"
#include "astraea/fl/mediator_score.hpp"
#include "astraea/fl/score_screen.hpp"
#include "astraea/fl/spread_bound.hpp"
#include "greedy_bounds.hpp"
#include "greedy_groups.hpp"
#include "schedulers.hpp"
#include "spin_team.hpp"

namespace astraea {
namespace {

using namespace greedy_detail;

// Blocks of each group of the next bucket asked for ahead of the scan.
constexpr size_t kPrefetchBlocks = 2;
// Blocks the spread bound takes per call.
constexpr size_t kSpreadRun = 8;

// Asks for the cache lines of `bytes` bytes from p.
inline void prefetch_lines(const void* p, size_t bytes) {
  const char* c = static_cast<const char*>(p);
  for (size_t line = 0; line < bytes; line += 64) __builtin_prefetch(c + line);
}

struct HistogramHash {
  int classes;
  const int32_t* rows;
  size_t operator()(size_t i) const {
    uint64_t h = 1469598103934665603ull;
    for (int y = 0; y < classes; ++y) h = (h ^ static_cast<uint32_t>(rows[i * classes + y])) * 1099511628211ull;
    return static_cast<size_t>(h);
  }
};

struct HistogramEqual {
  int classes;
  const int32_t* rows;
  bool operator()(size_t a, size_t b) const {
    return std::equal(rows + a * classes, rows + (a + 1) * classes, rows + b * classes);
  }
};

// Candidates: distinct histograms, each with its clients (positions into ids, ascending).
struct Candidates {
  std::vector<int64_t> size;         // [u]
  std::vector<const int32_t*> row;   // [u]
  std::vector<double> own_score;     // [u]: score into an empty mediator
  std::vector<std::vector<size_t>> members;
  std::vector<size_t> next;          // [u]: cursor into members
  std::vector<uint8_t> live;         // [u]: dense copies of the two for the scan loops
  std::vector<size_t> rep;
  bool alive(size_t u) const { return live[u] != 0; }
  size_t representative(size_t u) const { return rep[u]; }
  void take(size_t u) {  // the representative joins a mediator
    if (++next[u] < members[u].size()) {
      rep[u] = members[u][next[u]];
    } else {
      live[u] = 0;
    }
  }
};

Candidates dedupe(const int32_t* rows, int classes, size_t count, const MediatorScore& score) {
  Candidates c;
  std::unordered_map<size_t, size_t, HistogramHash, HistogramEqual> index(count * 2 + 1, HistogramHash{classes, rows},
                                                                          HistogramEqual{classes, rows});
  for (size_t i = 0; i < count; ++i) {
    const auto [it, fresh] = index.emplace(i, c.members.size());
    if (fresh) {
      const int32_t* r = rows + i * classes;
      c.size.push_back(std::accumulate(r, r + classes, int64_t{0}));
      c.row.push_back(r);
      c.own_score.push_back(score.score(nullptr, r));
      c.members.emplace_back();
    }
    c.members[it->second].push_back(i);
  }
  c.next.assign(c.members.size(), 0);
  c.live.assign(c.members.size(), 1);
  for (const auto& m : c.members) c.rep.push_back(m[0]);
  return c;
}

// Lowest position among candidates scoring within kScoreTie of the minimum. Entries name the
// candidate; its representative (the position) is looked up once, for the winner.
class alignas(64) TieWindow {  // a line of its own: each thread offers to its own window
 public:
  void reset() {
    least_ = std::numeric_limits<double>::infinity();
    window_.clear();
  }
  double cutoff() const { return least_ + kScoreTie; }
  double least() const { return least_; }
  void offer(double s, size_t candidate) {
    if (s > least_ + kScoreTie) return;
    if (s < least_) {
      least_ = s;
      window_.erase(std::remove_if(window_.begin(), window_.end(), [&](const Entry& e) { return e.score > cutoff(); }),
                    window_.end());
    }
    window_.push_back(Entry{s, candidate});
  }
  // Offers every entry of this window to `into`.
  void offer_all(TieWindow& into) const {
    for (const Entry& e : window_) into.offer(e.score, e.candidate);
  }
  size_t winner(const Candidates& cand) const {  // the candidate
    size_t best = window_.front().candidate;
    for (const Entry& e : window_)
      if (cand.representative(e.candidate) < cand.representative(best)) best = e.candidate;
    return best;
  }

 private:
  struct Entry {
    double score;
    size_t candidate;
  };
  double least_ = 0;
  std::vector<Entry> window_;
};

struct Entry {
  int64_t peak;
  size_t candidate;
};

}  // namespace

MediatorGroups greedy_mediators(const int32_t* histograms, int classes, const std::vector<int64_t>& ids, int gamma,
                                int threads, MediatorSeed seed) {
  ASTRAEA_CHECK(gamma >= 1 && threads >= 0, "gamma {} threads {}", gamma, threads);
  const size_t count = ids.size();
  int64_t most = 0, largest_client = 0;
  for (size_t i = 0; i < count; ++i) {
    largest_client = std::max<int64_t>(largest_client, std::accumulate(histograms + i * classes,
                                                                       histograms + (i + 1) * classes, int64_t{0}));
  }
  for (size_t i = 0; i < count * classes; ++i) most = std::max<int64_t>(most, histograms[i]);
  const MediatorScore score(classes, std::min<int64_t>(largest_client * gamma, 1 << 20));
  Candidates cand = dedupe(histograms, classes, count, score);
  const size_t distinct = cand.members.size();
  std::vector<int64_t> peak(distinct);
  std::vector<int> dominant(distinct);
  for (size_t u = 0; u < distinct; ++u) {
    const int32_t* r = cand.row[u];
    dominant[u] = static_cast<int>(std::max_element(r, r + classes) - r);
    peak[u] = r[dominant[u]];
  }

  // Empty mediators: candidates by own score, then position.
  std::vector<size_t> by_own(distinct);
  std::iota(by_own.begin(), by_own.end(), 0);
  std::sort(by_own.begin(), by_own.end(), [&](size_t a, size_t b) {
    return cand.own_score[a] != cand.own_score[b] ? cand.own_score[a] < cand.own_score[b]
                                                  : cand.members[a][0] < cand.members[b][0];
  });
  size_t own_cursor = 0;
  // Or, seeding the hardest first: candidates by imbalance mass, largest first, then position.
  std::vector<double> mass;
  std::vector<size_t> by_mass;
  if (seed == MediatorSeed::hardest) {
    for (size_t u = 0; u < distinct; ++u) mass.push_back(imbalance_mass(cand.row[u], classes));
    by_mass = by_own;
    std::sort(by_mass.begin(), by_mass.end(), [&](size_t a, size_t b) {
      return mass[a] != mass[b] ? mass[a] > mass[b] : cand.members[a][0] < cand.members[b][0];
    });
  }
  size_t mass_cursor = 0;

  // Open mediators: size buckets x dominant class, each group by increasing peak.
  std::vector<SizeBucket> buckets;
  std::vector<int> bucket_of(distinct);
  std::vector<uint32_t> entry_of(distinct);  // candidate -> its entry in its group
  {
    int top = 0;
    for (size_t u = 0; u < distinct; ++u) {
      bucket_of[u] = static_cast<int>(std::floor(std::log(double(std::max<int64_t>(cand.size[u], 1))) / std::log(1.25)));
      top = std::max(top, bucket_of[u]);
    }
    buckets.resize(top + 1);
    for (auto& b : buckets) {
      b.by_class.resize(classes);
      for (Group& g : b.by_class) g.classes = classes;
    }
    std::vector<std::vector<std::vector<Entry>>> lists(buckets.size(), std::vector<std::vector<Entry>>(classes));
    for (size_t u = 0; u < distinct; ++u) {
      lists[bucket_of[u]][dominant[u]].push_back(Entry{peak[u], u});
      buckets[bucket_of[u]].largest = std::max(buckets[bucket_of[u]].largest, cand.size[u]);
      buckets[bucket_of[u]].smallest = std::min(buckets[bucket_of[u]].smallest, cand.size[u]);
    }
    for (size_t b = 0; b < buckets.size(); ++b) {
      buckets[b].head.assign(size_t(classes), INT32_MAX);
      for (int y = 0; y < classes; ++y) {
        auto& list = lists[b][y];
        std::stable_sort(list.begin(), list.end(), [](const Entry& a, const Entry& c) { return a.peak < c.peak; });
        Group& g = buckets[b].by_class[y];
        for (const Entry& e : list) {
          entry_of[e.candidate] = static_cast<uint32_t>(g.slots());
          g.push(static_cast<int32_t>(e.peak), cand.size[e.candidate], static_cast<uint32_t>(e.candidate),
                 cand.row[e.candidate]);
        }
        buckets[b].update_head(y);
      }
    }
  }
  // Buckets by decreasing largest size: WF is non-increasing in the size, so this is the order of
  // increasing bound at every pick.
  std::vector<SizeBucket*> visit;
  for (auto& b : buckets)
    if (b.largest > 0) visit.push_back(&b);
  std::sort(visit.begin(), visit.end(), [](const SizeBucket* a, const SizeBucket* b) { return a->largest > b->largest; });
  Heads heads(classes, buckets.size() * size_t(classes));
  for (size_t b = 0; b < buckets.size(); ++b)
    for (int y = 0; y < classes; ++y) heads.set(b * size_t(classes) + size_t(y), buckets[b].by_class[size_t(y)]);
  // Threads scan interleaved groups, each pruning against its own window (and the lowest score any
  // has seen); merged, the windows hold
  // every candidate the one window would (what a thread prunes scores above its cutoff, which is at
  // least the final one), so the pick is the same.
  if (threads == 0) threads = distinct >= 20000 ? omp_get_max_threads() : 1;
  std::vector<TieWindow> windows(size_t(std::max(threads, 1)));
  std::unique_ptr<SpinTeam> team = threads > 1 ? std::make_unique<SpinTeam>(threads) : nullptr;
  ScoreScreen screen(score);
  const ShareTable shares(classes);
  const ScreenKernel screen_kernel = best_screen_kernel();
  SpreadBound spread(classes);
  const SpreadKernel spread_kernel = best_spread_kernel();

  MediatorGroups groups;
  std::vector<int64_t> merged(classes);
  WaterFill water_fill;
  TieWindow window;
  size_t left = count;
  while (left > 0) {
    std::fill(merged.begin(), merged.end(), 0);
    int64_t merged_total = 0;
    std::vector<int64_t> group;
    while (left > 0 && static_cast<int>(group.size()) < gamma) {
      window.reset();
      if (group.empty() && seed == MediatorSeed::hardest) {
        // The largest mass; within kMassTie of it the lowest position (taking clients moves them).
        while (!cand.alive(by_mass[mass_cursor])) ++mass_cursor;
        const double most = mass[by_mass[mass_cursor]], tie = most - kMassTie * (1.0 + std::fabs(most));
        size_t best = by_mass[mass_cursor];
        for (size_t j = mass_cursor + 1; j < distinct && mass[by_mass[j]] >= tie; ++j)
          if (cand.alive(by_mass[j]) && cand.representative(by_mass[j]) < cand.representative(best)) best = by_mass[j];
        window.offer(0.0, best);
      } else if (group.empty()) {
        while (!cand.alive(by_own[own_cursor])) ++own_cursor;
        for (size_t j = own_cursor; j < distinct; ++j) {
          const size_t u = by_own[j];
          if (!cand.alive(u)) continue;
          if (cand.own_score[u] > window.cutoff()) break;
          window.offer(cand.own_score[u], u);
        }
      } else {
        water_fill.reset(merged.data(), classes, score);
        const double total = static_cast<double>(merged_total);
        // The screen reads f at m_y + x_y and log at T + s from float tables: every index must be in
        // them, else every lane goes to the exact score.
        const bool screened = screen.reset(merged.data(), std::min<int64_t>(most, kScreenCountMax), largest_client);
        // The spread bound (spread_bound.hpp) needs the pick's counts within its integer range.
        const bool spreading = spread.reset(merged.data(), largest_client);
        // Without the screen, a first incumbent from every group's head (its flattest candidate),
        // scored exactly; with it, each thread seeds its own window (below).
        if (!screened) {
          for (SizeBucket* b : visit) {
            for (const Group& g : b->by_class) {
              if (g.alive == 0) continue;
              const size_t u = g.candidate[g.first_live()];
              window.offer(score.score(merged.data(), cand.row[u]), u);
            }
          }
        }
        // Threads prune against the lowest score any of them has seen (`shared`): still a score some
        // candidate reaches, so still a valid cutoff.
        alignas(64) std::atomic<double> shared{window.least()};
        auto offer = [&](TieWindow& w, double s, size_t u, int count) {
          w.offer(s, u);
          if (count > 1) {
            double seen = shared.load(std::memory_order_relaxed);
            while (s < seen && !shared.compare_exchange_weak(seen, s, std::memory_order_relaxed)) {
            }
          }
        };
        auto scan = [&](TieWindow& w, int thread, int count) {
          ScreenInputs in = screen.inputs();  // this thread's: size_base follows the bucket
          auto cutoff = [&] {
            return count == 1 ? w.cutoff() : std::min(w.cutoff(), shared.load(std::memory_order_relaxed) + kScoreTie);
          };
          // A first incumbent, so that the bounds bite from the start: the best by the screen of
          // this thread's share of the group heads (each group's flattest candidate).
          if (screened) {
            float best = std::numeric_limits<float>::infinity(), lanes[kScreenLanes];
            size_t best_group = 0;
            for (size_t b = size_t(thread); b < heads.blocks(); b += size_t(count)) {
              uint32_t live =
                  heads.live[b] & screen_kernel(screen.inputs(), heads.block(b), &heads.size[b * kScreenLanes], best, lanes);
              for (; live != 0; live &= live - 1) {
                const int l = __builtin_ctz(live);
                if (lanes[l] < best) {
                  best = lanes[l];
                  best_group = b * kScreenLanes + size_t(l);
                }
              }
            }
            if (best < std::numeric_limits<float>::infinity()) {
              const size_t u = heads.candidate[best_group];
              offer(w, score.score(merged.data(), cand.row[u]), u, count);
            }
          }
          // What the cutoff decides, refreshed only when it falls: the screen's float cutoff and q*.
          double c = cutoff(), share = shares.at(c);
          // A peak above this puts more than q* of the merged mass (the open mediator and a candidate
          // of at most a bucket's largest size) in class y.
          auto peak_limit = [&](double mass, int y) {
            return static_cast<int64_t>(std::floor(share * mass * (1 + 1e-12))) - merged[size_t(y)];
          };
          float screen_cutoff = screened ? screen.widened(c) : 0.0f;
          SpreadInputs sp = spread.inputs();  // this thread's: the cutoff follows its window
          if (spreading) set_spread_cutoff(sp, c, share);
          uint32_t spread_pass[kSpreadRun];
          // Each group has one thread: its memory stays in that core's cache, and no other thread
          // repeats its setup.
          auto owns = [&](const SizeBucket* b, int y) {
            return (size_t(b - buckets.data()) + size_t(y)) % size_t(count) == size_t(thread);
          };
          // The first blocks of a bucket's groups are rarely still cached: ask for the next bucket's
          // while this one is scanned.
          auto prefetch = [&](const SizeBucket* b) {
            const double mass = total + double(b->largest);
            for (int y = 0; y < classes; ++y) {
              if (!owns(b, y) || b->head[size_t(y)] > peak_limit(mass, y)) continue;
              const Group& g = b->by_class[y];
              __builtin_prefetch(g.first_peak.data());
              __builtin_prefetch(g.live.data());
              __builtin_prefetch(g.forced.data());
              const size_t blocks = std::min(kPrefetchBlocks, g.blocks());
              prefetch_lines(g.lanes.data(), blocks * kScreenLanes * size_t(classes));
              prefetch_lines(g.size.data(), blocks * kScreenLanes * sizeof(int32_t));
              prefetch_lines(g.square.data(), blocks * kScreenLanes * sizeof(int32_t));
            }
          };
          if (!visit.empty()) prefetch(visit[0]);
          for (size_t v = 0; v < visit.size(); ++v) {
            SizeBucket* b = visit[v];
            // Above the window: so are all later buckets (up to rounding, far inside the slack).
            if (water_fill.bound(b->largest, score) > cutoff() + kBoundSlack) break;
            if (v + 1 < visit.size()) prefetch(visit[v + 1]);
            const double mass = total + double(b->largest);
            in.size_base = static_cast<int32_t>(b->smallest);
            for (int y = 0; y < classes; ++y) {
              if (!owns(b, y)) continue;
              int64_t limit = peak_limit(mass, y);
              if (b->head[size_t(y)] > limit) continue;  // the group's first block already ends it
              Group& g = b->by_class[y];
              if (g.stale) {  // each candidate is in one group: no two threads write one entry
                g.compact(entry_of);
                b->update_head(y);
              }
              // What the cutoff decides, once it has fallen.
              auto refresh = [&] {
                const double now = cutoff();
                if (!(now < c)) return;
                c = now;
                share = shares.at(c);
                limit = peak_limit(mass, y);
                if (screened) screen_cutoff = screen.widened(c);
                if (spreading) set_spread_cutoff(sp, c, share);
              };
              // Runs of up to kSpreadRun blocks go through the spread bound in one call, against the
              // cutoff at the run's start (a later, lower one only rules out more).
              for (size_t run = 0; run < g.blocks();) {
                refresh();
                // Peaks ascend (dead slots keep theirs): a block whose first peak is too large ends the group.
                if (g.first_peak[run] > limit) break;
                size_t end = run + 1;
                while (end < std::min(g.blocks(), run + kSpreadRun) && g.first_peak[end] <= limit) ++end;
                if (spreading)
                  spread_kernel(sp, g.block(run), &g.size[run * kScreenLanes], &g.square[run * kScreenLanes], end - run,
                                spread_pass);
                for (size_t blk = run; blk < end; ++blk) {
                  const size_t first = blk * kScreenLanes;
                  uint32_t pass = g.live[blk];
                  const uint32_t forced = g.forced[blk];
                  if (spreading) pass &= spread_pass[blk - run] | forced;
                  if (pass == 0) continue;
                  if (screened) {
                    refresh();
                    pass &= screen_kernel(in, g.block(blk), &g.size[first], screen_cutoff, nullptr) | forced;
                  }
                  for (; pass != 0; pass &= pass - 1) {
                    const int l = __builtin_ctz(pass);
                    const size_t u = g.candidate[first + size_t(l)];
                    const double s = forced >> l & 1u ? score.score(merged.data(), cand.row[u])
                                                      : score.score(merged.data(), g.block(blk) + l, kScreenLanes);
                    offer(w, s, u, count);
                  }
                }
                run = end;
              }
            }
          }
        };
        const std::function<void(int)> scan_step = [&](int thread) { scan(windows[size_t(thread)], thread, threads); };
        if (threads <= 1) {
          scan(window, 0, 1);
        } else {
          for (TieWindow& w : windows) w = window;  // the incumbents
          team->run(scan_step);
          for (const TieWindow& w : windows) w.offer_all(window);
        }
      }
      const size_t u = window.winner(cand);
      const size_t position = cand.representative(u);
      for (int y = 0; y < classes; ++y) merged[y] += cand.row[u][y];
      merged_total += cand.size[u];
      group.push_back(ids[position]);
      cand.take(u);
      --left;
      if (!cand.alive(u)) {
        Group& g = buckets[bucket_of[u]].by_class[dominant[u]];
        g.erase(entry_of[u]);
        buckets[bucket_of[u]].update_head(dominant[u]);
        heads.set(size_t(bucket_of[u]) * classes + dominant[u], g);
      }
    }
    groups.push_back(std::move(group));
  }
  return groups;
}

}  // namespace astraea

namespace astraea::schedulers {
namespace {

// The greedy, on the host; on a device backend, with `device_from` > 0, rounds of at least that many
// online clients are scored there by brute force (greedy_batched.cpp: the same groups).
class GreedyScheduler final : public MediatorScheduler {
 public:
  explicit GreedyScheduler(const SchedulerOptions& o)
      : gamma_(o.gamma), device_(o.backend && o.backend->is_device() ? o.backend : nullptr), device_from_(o.device_from) {}
  std::string name() const override { return "greedy"; }
  MediatorGroups schedule_rows(const int32_t* histograms, int classes, const std::vector<int64_t>& ids,
                               uint32_t) override {
    // Toward a non-uniform target the pruning bounds do not hold: the brute force does it.
    if (!uniform_target()) return greedy_mediators_to_target(histograms, classes, ids, gamma_, target_);
    if (device_ && device_from_ > 0 && static_cast<int64_t>(ids.size()) >= device_from_) {
      return greedy_mediators_batched(*device_, histograms, classes, ids, gamma_);
    }
    return greedy_mediators(histograms, classes, ids, gamma_);
  }

 private:
  int gamma_;
  Backend* device_;
  int64_t device_from_;
};

}  // namespace

std::unique_ptr<MediatorScheduler> make_greedy(const SchedulerOptions& o) { return std::make_unique<GreedyScheduler>(o); }

}  // namespace astraea::schedulers
