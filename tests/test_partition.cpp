// Partitions against the requested distribution: global class sizes follow the profile, every
// sample is used at most once, client sizes and label mixes behave as each method promises.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>
#include <set>

#include "astraea/data/class_profile.hpp"
#include "astraea/data/partition.hpp"
#include "astraea/kernels/kl_score.hpp"
#include "test_helpers.hpp"

namespace astraea {
namespace {

std::vector<int32_t> balanced_labels(int classes, int per_class) {
  std::vector<int32_t> labels;
  for (int i = 0; i < per_class; ++i)
    for (int y = 0; y < classes; ++y) labels.push_back(y);
  return labels;
}

void expect_disjoint_and_consistent(const ClientStore& s, const std::vector<int32_t>& labels) {
  std::set<int32_t> seen;
  for (int64_t k = 0; k < s.num_clients(); ++k) {
    std::vector<int32_t> h(s.classes(), 0);
    for (int64_t i = 0; i < s.size(k); ++i) {
      const int32_t id = s.samples(k)[i];
      ASSERT_TRUE(seen.insert(id).second) << "sample " << id << " used twice";
      ++h[labels[id]];
    }
    ASSERT_TRUE(std::equal(h.begin(), h.end(), s.histogram_row(k))) << "histogram of client " << k;
  }
}

TEST(ClassProfile, ShapesAndErrors) {
  const auto zipf = class_profile("zipf:1.5", 10);
  EXPECT_DOUBLE_EQ(zipf[0], 1.0);
  EXPECT_NEAR(zipf[0] / zipf[9], std::pow(10.0, 1.5), 1e-9);
  const auto lin = class_profile("linear:0.1", 10);
  EXPECT_NEAR(lin[9], 0.1, 1e-12);
  EXPECT_NEAR(lin[4] - lin[5], lin[0] - lin[1], 1e-12);
  const auto hn = class_profile("halfnormal:0.5", 5);
  EXPECT_NEAR(hn[4], std::exp(-1.0 / (2 * 0.25)), 1e-12);
  const auto letters = class_profile("letters", 26);
  EXPECT_DOUBLE_EQ(letters[4], 1.0);  // 'e' is the most frequent letter
  EXPECT_LT(letters[25], 0.01);       // 'z'
  EXPECT_EQ(class_profile("letters", 47).size(), 47u);
  for (double v : class_profile("balanced", 4)) EXPECT_EQ(v, 1.0);
  EXPECT_ERROR_MENTIONS(class_profile("zipf", 10), "partition.global", "needs a parameter");
  EXPECT_ERROR_MENTIONS(class_profile("zipf:x", 10), "partition.global", "not a number");
  EXPECT_ERROR_MENTIONS(class_profile("pareto:2", 10), "partition.global", "unknown profile");
  EXPECT_ERROR_MENTIONS(class_profile("letters", 10), "partition.global", "26");
  EXPECT_ERROR_MENTIONS(class_profile("linear:2", 10), "min_ratio");
}

// astraea.target: a profile, a list or a CSV file, always normalised; errors name the key and line.
TEST(ClassProfile, TargetDistributions) {
  const auto sums_to_one = [](const std::vector<double>& w) { return std::accumulate(w.begin(), w.end(), 0.0); };
  const auto u = class_distribution("uniform", 4, "astraea.target");
  for (double v : u) EXPECT_DOUBLE_EQ(v, 0.25);
  const auto list = class_distribution("1,3,0,4", 4, "astraea.target");
  EXPECT_DOUBLE_EQ(list[1], 0.375);
  EXPECT_DOUBLE_EQ(list[2], 0.0);
  EXPECT_NEAR(sums_to_one(class_distribution("zipf:1", 5, "astraea.target")), 1.0, 1e-12);
  testing::ScratchDir dir;
  {
    std::ofstream f(dir.path("t.csv"));
    f << "class,weight\n2,3\n0,1\n";
  }
  const auto csv = class_distribution(dir.path("t.csv"), 3, "astraea.target");
  EXPECT_DOUBLE_EQ(csv[0], 0.25);
  EXPECT_DOUBLE_EQ(csv[1], 0.0);  // not listed
  EXPECT_DOUBLE_EQ(csv[2], 0.75);
  EXPECT_ERROR_MENTIONS(class_distribution("1,2", 4, "astraea.target"), "astraea.target", "2 weights for 4");
  EXPECT_ERROR_MENTIONS(class_distribution("1,x,2", 3, "astraea.target"), "astraea.target", "not a number");
  EXPECT_ERROR_MENTIONS(class_distribution(dir.path("t.csv"), 2, "astraea.target"), "astraea.target", "line 2");
  EXPECT_ERROR_MENTIONS(class_distribution("0,0,0", 3, "astraea.target"), "astraea.target");
}

TEST(GlobalCounts, FollowTheProfileAndNeverExceedWhatExists) {
  PartitionSpec spec;
  spec.global = "zipf:1.3";
  const std::vector<int64_t> available = {6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000};
  const auto counts = global_class_counts(spec, available);
  const auto w = class_profile("zipf:1.3", 10);
  EXPECT_EQ(counts[0], 6000);
  for (int y = 0; y < 10; ++y) {
    EXPECT_LE(counts[y], available[y]);
    EXPECT_NEAR(counts[y], 6000 * w[y], 1.0);
  }
  spec.samples = 5000;
  const auto scaled = global_class_counts(spec, available);
  EXPECT_EQ(std::accumulate(scaled.begin(), scaled.end(), int64_t{0}), 5000);
  const double sum_w = std::accumulate(w.begin(), w.end(), 0.0);
  for (int y = 0; y < 10; ++y) EXPECT_NEAR(scaled[y], 5000 * w[y] / sum_w, 1.0);
  spec.samples = 100000;
  EXPECT_ERROR_MENTIONS(global_class_counts(spec, available), "partition.samples", "at most");
}

TEST(AstraeaPartition, GlobalHistogramMatchesProfileAndSamplesAreDisjoint) {
  const auto labels = balanced_labels(10, 600);
  PartitionSpec spec;
  spec.clients = 50;
  spec.global = "zipf:1.5";
  spec.sizes = "lognormal:1.0";
  spec.local = "random";
  spec.local_beta = 0.5;
  spec.seed = 7;
  const ClientStore s = make_partition(spec, labels, 10);
  ASSERT_EQ(s.num_clients(), 50);
  expect_disjoint_and_consistent(s, labels);
  std::vector<int64_t> available(10, 600);
  EXPECT_EQ(s.global_histogram(), global_class_counts(spec, available));  // exact, not only close
  const PartitionStats st = partition_stats(s);
  EXPECT_NEAR(st.max_min_ratio, std::pow(10.0, 1.5), 2.0);
  EXPECT_GE(st.min_client_size, 1);
  EXPECT_GT(st.max_client_size, 3 * st.mean_client_size);  // heavy-tailed sizes
  // Dirichlet(0.5) local mixes are far from the global mix; balanced ones are close to it.
  spec.local = "balanced";
  const ClientStore b = make_partition(spec, labels, 10);
  expect_disjoint_and_consistent(b, labels);
  EXPECT_GT(st.mean_client_kl, partition_stats(b).mean_client_kl + 0.2);
}

TEST(AstraeaPartition, IsReproducibleFromItsSeed) {
  const auto labels = balanced_labels(10, 100);
  PartitionSpec spec;
  spec.clients = 20;
  spec.global = "linear:0.2";
  spec.seed = 3;
  const ClientStore a = make_partition(spec, labels, 10);
  const ClientStore b = make_partition(spec, labels, 10);
  EXPECT_EQ(a.indices(), b.indices());
  EXPECT_EQ(a.offsets(), b.offsets());
  spec.seed = 4;
  EXPECT_NE(make_partition(spec, labels, 10).indices(), a.indices());
}

TEST(EvenSizes, DifferByAtMostOne) {
  const auto labels = balanced_labels(10, 101);
  PartitionSpec spec;
  spec.method = "iid";
  spec.clients = 7;
  const ClientStore s = make_partition(spec, labels, 10);
  expect_disjoint_and_consistent(s, labels);
  EXPECT_EQ(s.total_samples(), 1010);
  for (int64_t k = 0; k < 7; ++k) EXPECT_NEAR(s.size(k), 1010.0 / 7, 1.0);
  // IID clients of 144 samples look like the (uniform) global mix.
  EXPECT_LT(partition_stats(s).mean_client_kl, 0.1);
}

TEST(DirichletPartition, SkewFallsWithBeta) {
  const auto labels = balanced_labels(10, 500);
  PartitionSpec spec;
  spec.clients = 40;
  spec.method = "dirichlet:0.1";
  const ClientStore skewed = make_partition(spec, labels, 10);
  spec.method = "dirichlet:100";
  const ClientStore mild = make_partition(spec, labels, 10);
  expect_disjoint_and_consistent(skewed, labels);
  expect_disjoint_and_consistent(mild, labels);
  EXPECT_EQ(skewed.total_samples(), 5000);  // the whole (balanced) training set is split
  EXPECT_GT(partition_stats(skewed).mean_client_kl, 1.0);
  EXPECT_LT(partition_stats(mild).mean_client_kl, 0.1);
}

TEST(ShardsPartition, EachClientSeesFewClasses) {
  const auto labels = balanced_labels(10, 200);
  PartitionSpec spec;
  spec.clients = 100;
  spec.method = "shards:2";
  const ClientStore s = make_partition(spec, labels, 10);
  expect_disjoint_and_consistent(s, labels);
  EXPECT_EQ(s.total_samples(), 2000);
  for (int64_t k = 0; k < s.num_clients(); ++k) {
    EXPECT_EQ(s.size(k), 20);
    const int32_t* h = s.histogram_row(k);
    EXPECT_LE(std::count_if(h, h + 10, [](int32_t c) { return c > 0; }), 2);  // shards of 10 never straddle a class
  }
}

TEST(Partition, RejectsImpossibleRequests) {
  const auto labels = balanced_labels(4, 10);
  PartitionSpec spec;
  spec.clients = 41;
  EXPECT_ERROR_MENTIONS(make_partition(spec, labels, 4), "partition.clients", "more clients");
  spec.clients = 0;
  EXPECT_ERROR_MENTIONS(make_partition(spec, labels, 4), "partition.clients");
  spec.clients = 4;
  spec.method = "dirichlet";
  EXPECT_ERROR_MENTIONS(make_partition(spec, labels, 4), "partition.method", "needs a parameter");
  spec.method = "shards:1.5";
  EXPECT_ERROR_MENTIONS(make_partition(spec, labels, 4), "partition.method", "whole number");
  spec.method = "astraea";
  spec.sizes = "pareto";
  EXPECT_ERROR_MENTIONS(make_partition(spec, labels, 4), "partition.sizes");
  spec.sizes = "even";
  spec.local = "skewed";
  EXPECT_ERROR_MENTIONS(make_partition(spec, labels, 4), "partition.local");
}

TEST(KlToUniform, MatchesClosedForms) {
  const int uniform[4] = {5, 5, 5, 5};
  const int single[4] = {0, 9, 0, 0};
  const double half[4] = {1, 1, 0, 0};
  EXPECT_NEAR(kl_to_uniform(uniform, 4), 0.0, 1e-12);
  EXPECT_NEAR(kl_to_uniform(single, 4), std::log(4.0), 1e-12);
  EXPECT_NEAR(kl_to_uniform(half, 4), std::log(2.0), 1e-12);
}

}  // namespace
}  // namespace astraea
