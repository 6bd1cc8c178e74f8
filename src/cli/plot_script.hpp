// Runs scripts/plot.py (matplotlib) on run or compare directories: `astraea plot` and compare's
// own figure. The script is found beside the source tree the binary was built from, or at
// $ASTRAEA_PLOT_SCRIPT; Debian's python3 is preferred (it has matplotlib from setup.sh).
#pragma once

#include <string>
#include <vector>

namespace astraea::cli {

// The figure of `dirs` in `out`; false (and the reason in `why`) when no Python with matplotlib
// or no script is found, or the script fails.
bool plot_runs(const std::vector<std::string>& dirs, const std::string& out, const std::string& title, std::string* why);

}  // namespace astraea::cli
