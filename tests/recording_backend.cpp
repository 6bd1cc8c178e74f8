#include "recording_backend.hpp"

#include <functional>
#include <string>
#include <vector>

#include "astraea/core/error.hpp"

namespace astraea::testing {
namespace {

class Recorder final : public RecordingBackend {
 public:
  Recorder() : cpu_(make_backend("cpu", 1)) {}
  std::string name() const override { return "cpu with recorded graphs"; }
  bool is_device() const override { return false; }
  int lanes() const override { return 1; }
  size_t memory_available() const override { return cpu_->memory_available(); }
  void* allocate(size_t bytes) override {
    ASTRAEA_CHECK(!recording_, "allocation while recording");
    return cpu_->allocate(bytes);
  }
  void deallocate(void* p) noexcept override { cpu_->deallocate(p); }
  void upload(void* dst, const void* src, size_t bytes) override {
    ASTRAEA_CHECK(!recording_, "an upload while recording would replay stale host data");
    cpu_->upload(dst, src, bytes);
  }
  void download(void* dst, const void* src, size_t bytes) override {
    ASTRAEA_CHECK(!recording_, "a download while recording");
    cpu_->download(dst, src, bytes);
  }
  void copy(void* dst, const void* src, size_t bytes) override {
    run([=] { cpu_->copy(dst, src, bytes); });
  }
  void zero(void* dst, size_t bytes) override {
    run([=] { cpu_->zero(dst, bytes); });
  }
  void synchronize() override { ASTRAEA_CHECK(!recording_, "synchronize while recording"); }
  void gemm_strided_batched(Trans ta, Trans tb, int m, int n, int k, float alpha, const float* a, int lda,
                            int64_t stride_a, const float* b, int ldb, int64_t stride_b, float beta, float* c, int ldc,
                            int64_t stride_c, int batch) override {
    run([=] {
      cpu_->gemm_strided_batched(ta, tb, m, n, k, alpha, a, lda, stride_a, b, ldb, stride_b, beta, c, ldc, stride_c,
                                 batch);
    });
  }
#define ASTRAEA_RECORD_LAUNCH(F) \
  void launch(const F& f, int64_t rows, int64_t cols) override { run([=] { cpu_->launch(f, rows, cols); }); }
  ASTRAEA_OPS(ASTRAEA_RECORD_LAUNCH)
#undef ASTRAEA_RECORD_LAUNCH

  bool supports_graphs() const override { return true; }
  void begin_capture() override {
    ASTRAEA_CHECK(!recording_, "nested capture");
    recording_ = true;
    graphs_.emplace_back();
  }
  int end_capture() override {
    ASTRAEA_CHECK(recording_, "end_capture without begin_capture");
    recording_ = false;
    ++captures_;
    return static_cast<int>(graphs_.size()) - 1;
  }
  void replay(int graph) override {
    ASTRAEA_CHECK(!recording_ && graph >= 0 && size_t(graph) < graphs_.size(), "replay of graph {}", graph);
    ++replays_;
    for (const auto& call : graphs_[size_t(graph)]) call();
  }
  void drop_graphs() override { graphs_.clear(); }
  int captures() const override { return captures_; }
  int replays() const override { return replays_; }

 private:
  // Recorded while capturing (not run, as on a GPU), run at once otherwise.
  void run(std::function<void()> call) {
    if (recording_) {
      graphs_.back().push_back(std::move(call));
    } else {
      call();
    }
  }

  std::unique_ptr<Backend> cpu_;
  bool recording_ = false;
  std::vector<std::vector<std::function<void()>>> graphs_;
  int captures_ = 0, replays_ = 0;
};

}  // namespace

std::unique_ptr<RecordingBackend> make_recording_backend() { return std::make_unique<Recorder>(); }

}  // namespace astraea::testing
