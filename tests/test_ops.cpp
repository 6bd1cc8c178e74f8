// Every op of the backend's list against its per-element reference on the CPU backend (fast paths,
// lanes): the same bits. The CUDA twin of this test is CudaTwin.EveryOpMatchesThePerElementReference.
#include <gtest/gtest.h>

#include <set>

#include "op_cases.hpp"

namespace astraea::testing {
namespace {

TEST(Ops, EveryOpHasACase) {
  std::set<std::string> covered;
  for (const OpCase& c : op_cases()) {
    EXPECT_TRUE(covered.insert(c.op).second) << c.op << " has two cases";
  }
  for (const std::string& op : op_names()) EXPECT_TRUE(covered.count(op)) << op << " has no case in tests/op_cases_list.cpp";
  EXPECT_EQ(covered.size(), op_names().size()) << "a case names an op that is not in the list";
}

TEST(Ops, CpuBackendEqualsThePerElementReference) {
  for (int threads : {1, 2}) {
    const auto cpu = make_backend("cpu", threads);
    for (const OpCase& c : op_cases()) {
      SCOPED_TRACE(c.op + " on " + std::to_string(threads) + " CPU lanes");
      expect_op_matches_reference(c, *cpu, /*exact=*/true);
    }
  }
}

}  // namespace
}  // namespace astraea::testing
