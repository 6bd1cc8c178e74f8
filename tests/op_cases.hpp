// Per-op tests in the shape of ggml's test-backend-ops: every functor of the backend's op list
// (kernels/op_list.hpp) has a case that builds its inputs, runs it on a target and compares every
// buffer, inputs included, with the per-element reference (f(r, c) called for every index on the
// host). A target is the reference itself (no backend) or a backend (CPU fast paths, CUDA kernels).
// NaN and infinity fail wherever the reference has a finite value. A new op without a case fails
// Ops.EveryOpHasACase.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <type_traits>
#include <vector>

#include "astraea/backend/backend.hpp"

namespace astraea::testing {

// The name of each op, from the op list.
template <typename F>
const char* op_name();
#define ASTRAEA_DECLARE_OP_NAME(F) \
  template <>                      \
  const char* op_name<F>();
ASTRAEA_OPS(ASTRAEA_DECLARE_OP_NAME)
#undef ASTRAEA_DECLARE_OP_NAME

// Every op in the list, by name.
const std::vector<std::string>& op_names();

// One run of a case on one target: buffers live where the target computes, and launches go to the
// backend or, without one, to per-element calls in row-major index order.
class OpRun {
 public:
  explicit OpRun(Backend* backend) : backend_(backend) {}
  ~OpRun();
  OpRun(const OpRun&) = delete;
  OpRun& operator=(const OpRun&) = delete;

  // A buffer holding `init` on the target; its pointer there. Numbers are compared after the run;
  // structs (steps, jobs) are inputs only.
  template <typename T>
  T* buffer(const std::vector<T>& init) {
    Buffer b;
    b.kind = kind_of<T>();
    b.count = init.size();
    b.size = sizeof(T);
    b.init.resize(init.size() * sizeof(T));
    if (!init.empty()) std::memcpy(b.init.data(), init.data(), b.init.size());
    b.target = place(b);
    buffers_.push_back(std::move(b));
    return static_cast<T*>(buffers_.back().target);
  }

  template <typename F>
  void launch(const F& f, int64_t rows, int64_t cols) {
    launched_.push_back(op_name<F>());
    if (backend_) {
      backend_->launch(f, rows, cols);
      return;
    }
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) f(r, c);
  }

  // Each buffer's values after the run (empty for structs), and before it.
  std::vector<std::vector<double>> results();
  std::vector<std::vector<double>> initial() const;
  const std::vector<std::string>& launched() const { return launched_; }

 private:
  enum class Kind { kFloat, kDouble, kInt32, kInt64, kUint32, kUint8, kOpaque };
  struct Buffer {
    Kind kind;
    size_t count = 0, size = 0;
    std::vector<uint8_t> init;
    std::vector<uint8_t> host;  // the reference's memory (its heap block survives moves)
    void* target = nullptr;
  };
  template <typename T>
  static Kind kind_of() {
    if (std::is_same<T, float>::value) return Kind::kFloat;
    if (std::is_same<T, double>::value) return Kind::kDouble;
    if (std::is_same<T, int32_t>::value) return Kind::kInt32;
    if (std::is_same<T, int64_t>::value) return Kind::kInt64;
    if (std::is_same<T, uint32_t>::value) return Kind::kUint32;
    if (std::is_same<T, uint8_t>::value) return Kind::kUint8;
    return Kind::kOpaque;
  }
  void* place(Buffer& b);
  static std::vector<double> as_doubles(const Buffer& b, const uint8_t* bytes);

  Backend* backend_;
  std::vector<Buffer> buffers_;
  std::vector<std::string> launched_;
};

// One op's case: its name (the op it tests), how far a CUDA result may be from the reference
// (0, 0: the same bits) and the body, which fills an OpRun. The CPU backend must always give the
// reference's bits.
struct OpCase {
  std::string op;
  double gpu_rtol = 0, gpu_atol = 0;
  std::string why;  // what makes the CUDA bound non-zero
  std::function<void(OpRun&)> body;
};

const std::vector<OpCase>& op_cases();

// Runs `c` on the reference and on `backend` and expects every buffer within the bound (exact when
// `exact`), with gtest's assertions.
void expect_op_matches_reference(const OpCase& c, Backend& backend, bool exact);

}  // namespace astraea::testing
