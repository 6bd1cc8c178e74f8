// A team of threads that keeps spinning between short parallel steps. The exact greedy hands each
// pick's scan (tens of microseconds) to its threads once per pick; an OpenMP parallel region wakes
// them each time, which costs about a microsecond per pick on a two-core machine, while handing a
// step to spinning threads costs a store and a load.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

namespace astraea {

class SpinTeam {
 public:
  explicit SpinTeam(int threads) {
    for (int t = 1; t < threads; ++t) workers_.emplace_back([this, t] { work(t); });
  }
  ~SpinTeam() {
    stop_.store(true, std::memory_order_release);
    for (std::thread& w : workers_) w.join();
  }
  SpinTeam(const SpinTeam&) = delete;
  SpinTeam& operator=(const SpinTeam&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // step(thread) on every thread, the caller being thread 0; returns when all are done.
  void run(const std::function<void(int)>& step) {
    step_ = &step;
    done_.store(0, std::memory_order_relaxed);
    epoch_.fetch_add(1, std::memory_order_release);
    step(0);
    const int workers = static_cast<int>(workers_.size());
    for (int spins = 0; done_.load(std::memory_order_acquire) < workers; ++spins) pause(spins);
  }

 private:
  static void pause(int spins) {
    // Past a few thousand turns the machine is likely oversubscribed: let others run.
    if (spins > 4096) std::this_thread::yield();
  }
  void work(int thread) {
    uint64_t seen = 0;
    for (int spins = 0;; ++spins) {
      const uint64_t epoch = epoch_.load(std::memory_order_acquire);
      if (epoch == seen) {
        if (stop_.load(std::memory_order_acquire)) return;
        pause(spins);
        continue;
      }
      seen = epoch;
      spins = 0;
      (*step_)(thread);
      done_.fetch_add(1, std::memory_order_release);
    }
  }

  std::vector<std::thread> workers_;
  const std::function<void(int)>* step_ = nullptr;
  alignas(64) std::atomic<uint64_t> epoch_{0};
  alignas(64) std::atomic<int> done_{0};
  alignas(64) std::atomic<bool> stop_{false};
};

}  // namespace astraea
