// `astraea sweep` as a library call: every combination of the grid's values, once per seed, each
// run written to DIR/<cell>/seed-<s>/ (cell: "key=value,key=value"). Resumable: a run whose
// summary.json says it finished is read back, not rerun; an interrupted one resumes from its
// checkpoint. Under an MPI launch the runs are dealt over the ranks in turn (DIR on a file system
// they share). The result: DIR/sweep.csv and DIR/sweep.md, mean ± sd per cell over the seeds.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "astraea/fl/run_summary.hpp"
#include "astraea/ranks/communicator.hpp"

namespace astraea {

struct SweepAxis {
  std::string key;                  // section.key
  std::vector<std::string> values;  // as --set would take them
};

// "section.key=v1,v2,..." (throws naming --grid when malformed).
SweepAxis parse_grid(const std::string& text);

struct SweepOptions {
  std::string config;
  std::vector<std::string> overrides;  // applied to every cell
  std::vector<SweepAxis> grid;
  std::vector<uint64_t> seeds;         // empty: the config's seed
  std::string out;
};

struct SweepCell {
  std::vector<std::string> settings;  // "key=value" per axis
  std::vector<RunSummary> runs;       // one per seed
};

struct SweepOutcome {
  std::vector<SweepCell> cells;  // on rank 0: every cell
  std::string markdown;
  int ran = 0, reused = 0;       // runs trained here / read back from earlier
};

SweepOutcome run_sweep(const SweepOptions& options, Communicator& ranks);

}  // namespace astraea
