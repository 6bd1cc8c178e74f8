// astraea: the simulator's command-line entry point. Subcommands live in cmd_*.cpp.
#include <cstdio>
#include <new>
#include <stdexcept>
#include <string>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "astraea/core/error.hpp"
#include "astraea/ranks/communicator.hpp"
#include "commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"astraea-sim: a simulator of self-balancing federated learning (Astraea) and FedAvg"};
  app.require_subcommand(1);
  app.fallthrough();  // global options (--log-level) may follow the subcommand
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  app.parse_complete_callback([&] {
    auto logger = spdlog::stderr_color_mt("astraea");
    spdlog::set_default_logger(logger);
    spdlog::set_pattern("[%H:%M:%S.%e] [%^%l%$] %v");
    spdlog::set_level(spdlog::level::from_str(log_level));
  });
  astraea::cli::add_data_command(app);
  astraea::cli::add_partition_command(app);
  astraea::cli::add_run_command(app);
  astraea::cli::add_compare_command(app);
  astraea::cli::add_schedule_command(app);
  astraea::cli::add_plot_command(app);
  astraea::cli::add_sweep_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const astraea::cli::Interrupted& e) {
    return e.exit_code;
  } catch (const astraea::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    astraea::abort_ranks(2);
    return 2;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "error: out of memory: lower the config's sizes (partition.clients, train.batch, "
                         "train.replicas, train.eval_batch, data.*_samples)\n");
    astraea::abort_ranks(2);
    return 2;
  } catch (const std::length_error& e) {
    std::fprintf(stderr, "error: a size beyond what this machine can hold (%s): lower the config's sizes\n", e.what());
    astraea::abort_ranks(2);
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    astraea::abort_ranks(1);
    return 1;
  }
  return 0;
}
