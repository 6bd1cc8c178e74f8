// The per-op cases (op_cases.hpp): one per functor of kernels/op_list.hpp, sized so that the CUDA
// backend takes both of its launch shapes (rows of >= 128 columns, and flat) where an op can, with
// masked rows, inactive replicas and the edge values each op treats specially.
#include "op_cases.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "astraea/kernels/op_list.hpp"

namespace astraea::testing {

#define ASTRAEA_DEFINE_OP_NAME(F) \
  template <>                     \
  const char* op_name<F>() {      \
    return #F;                    \
  }
ASTRAEA_OPS(ASTRAEA_DEFINE_OP_NAME)
#undef ASTRAEA_DEFINE_OP_NAME

const std::vector<std::string>& op_names() {
#define ASTRAEA_OP_STRING(F) #F,
  static const std::vector<std::string> names = {ASTRAEA_OPS(ASTRAEA_OP_STRING)};
#undef ASTRAEA_OP_STRING
  return names;
}

// ---- OpRun

OpRun::~OpRun() {
  if (!backend_) return;
  for (Buffer& b : buffers_) backend_->deallocate(b.target);
}

void* OpRun::place(Buffer& b) {
  if (!backend_) {
    b.host = b.init;  // the reference computes in a copy (init stays the "before")
    return b.host.data();
  }
  void* p = backend_->allocate(b.init.size());
  if (!b.init.empty()) backend_->upload(p, b.init.data(), b.init.size());
  return p;
}

std::vector<double> OpRun::as_doubles(const Buffer& b, const uint8_t* bytes) {
  std::vector<double> out(b.count);
  for (size_t i = 0; i < b.count; ++i) {
    const uint8_t* p = bytes + i * b.size;
    switch (b.kind) {
      case Kind::kFloat: { float v; std::memcpy(&v, p, 4); out[i] = v; break; }
      case Kind::kDouble: { double v; std::memcpy(&v, p, 8); out[i] = v; break; }
      case Kind::kInt32: { int32_t v; std::memcpy(&v, p, 4); out[i] = v; break; }
      case Kind::kInt64: { int64_t v; std::memcpy(&v, p, 8); out[i] = double(v); break; }
      case Kind::kUint32: { uint32_t v; std::memcpy(&v, p, 4); out[i] = v; break; }
      case Kind::kUint8: out[i] = *p; break;
      case Kind::kOpaque: return {};
    }
  }
  return out;
}

std::vector<std::vector<double>> OpRun::results() {
  if (backend_) backend_->synchronize();
  std::vector<std::vector<double>> out;
  for (const Buffer& b : buffers_) {
    std::vector<uint8_t> bytes(b.init.size());
    if (backend_) {
      if (!bytes.empty()) backend_->download(bytes.data(), b.target, bytes.size());
    } else if (!bytes.empty()) {
      std::memcpy(bytes.data(), b.target, bytes.size());
    }
    out.push_back(as_doubles(b, bytes.data()));
  }
  return out;
}

std::vector<std::vector<double>> OpRun::initial() const {
  std::vector<std::vector<double>> out;
  for (const Buffer& b : buffers_) out.push_back(as_doubles(b, b.init.data()));
  return out;
}

void expect_op_matches_reference(const OpCase& c, Backend& backend, bool exact) {
  OpRun ref(nullptr), got(&backend);
  c.body(ref);
  c.body(got);
  const auto want = ref.results(), have = got.results(), before = ref.initial();
  ASSERT_EQ(want.size(), have.size()) << c.op;
  EXPECT_EQ(got.launched(), ref.launched()) << c.op;
  bool ran_it = false;
  for (const std::string& name : ref.launched()) ran_it = ran_it || name == c.op;
  EXPECT_TRUE(ran_it) << "the case of " << c.op << " never launches it";
  const double rtol = exact ? 0 : c.gpu_rtol, atol = exact ? 0 : c.gpu_atol;
  for (size_t b = 0; b < want.size(); ++b) {
    ASSERT_EQ(want[b].size(), have[b].size()) << c.op << " buffer " << b;
    for (size_t i = 0; i < want[b].size(); ++i) {
      const double w = want[b][i], h = have[b][i];
      if (!std::isfinite(w)) {
        // Only where the reference kept a non-finite input value as it was.
        ASSERT_TRUE(!std::isfinite(before[b][i]) && (std::isnan(w) ? std::isnan(h) : h == w))
            << c.op << " buffer " << b << " element " << i << ": " << h << " where the reference has " << w;
        continue;
      }
      ASSERT_TRUE(std::isfinite(h)) << c.op << " buffer " << b << " element " << i << ": " << h;
      ASSERT_LE(std::fabs(h - w), atol + rtol * std::fabs(w))
          << c.op << " buffer " << b << " element " << i << ": " << h << " vs " << w << " (bound rtol " << rtol
          << ", atol " << atol << (exact || c.why.empty() ? "" : ": " + c.why) << ")";
    }
  }
}

}  // namespace astraea::testing
