// The `astraea` subcommands. Each registers itself on the CLI11 app and runs when chosen.
#pragma once

#include <CLI/CLI.hpp>

namespace astraea::cli {

// Thrown after a run stopped by a signal has saved its work: main exits with `exit_code`.
struct Interrupted {
  int exit_code;
};

void add_data_command(CLI::App& app);
void add_partition_command(CLI::App& app);
void add_run_command(CLI::App& app);
void add_compare_command(CLI::App& app);
void add_schedule_command(CLI::App& app);
void add_plot_command(CLI::App& app);
void add_sweep_command(CLI::App& app);

}  // namespace astraea::cli
