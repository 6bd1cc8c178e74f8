// `astraea compare` as a library call: several methods (methods.hpp) on one experiment's
// partition, once per seed. Each method's run goes to DIR[/seed-<s>]/<method>/, each seed's table
// to compare.{md,json} beside them, and with several seeds the table over seeds to DIR/compare.{md,json}.
// Under an MPI launch the ranks take the seeds in turn (DIR on a file system they share) and rank 0
// reads the others' results back.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "astraea/io/compare_report.hpp"
#include "astraea/ranks/communicator.hpp"

namespace astraea {

struct CompareOptions {
  std::string config;                  // the experiment's TOML file
  std::vector<std::string> overrides;  // --set section.key=value
  std::string out;
  std::vector<std::string> methods;    // empty: ablation_methods()
  std::vector<uint64_t> seeds;         // empty: the config's seed, results directly under DIR
};

struct CompareOutcome {
  std::vector<Comparison> seeds;  // on rank 0: every seed; on other ranks: theirs
  std::string markdown;           // the table a user reads (one seed's, or over seeds)
};

CompareOutcome run_compare(const CompareOptions& options, Communicator& ranks);

}  // namespace astraea
