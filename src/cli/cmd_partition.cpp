// `astraea partition`: split an experiment's training set into clients, write DIR/clients.csv and
// print the global distribution and its imbalance.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "astraea/core/error.hpp"
#include "astraea/data/partition.hpp"
#include "astraea/io/config.hpp"
#include "astraea/io/partition_csv.hpp"
#include "commands.hpp"

namespace astraea::cli {
namespace {

struct PartitionOptions {
  std::string config;
  std::string out;
  std::vector<std::string> overrides;
};

void print_stats(const ClientStore& store, const PartitionStats& s, double seconds) {
  const int64_t total = store.total_samples();
  std::printf("clients            %lld (sizes min %lld, mean %.1f, max %lld)\n",
              static_cast<long long>(store.num_clients()), static_cast<long long>(s.min_client_size),
              s.mean_client_size, static_cast<long long>(s.max_client_size));
  std::printf("samples            %lld\n", static_cast<long long>(total));
  std::printf("global distribution\n%-7s %9s %8s\n", "class", "samples", "share");
  for (size_t y = 0; y < s.global_counts.size(); ++y) {
    std::printf("%-7zu %9lld %7.2f%%\n", y, static_cast<long long>(s.global_counts[y]),
                total ? 100.0 * s.global_counts[y] / total : 0.0);
  }
  std::printf("imbalance          max/min class ratio %.2f, KL(global || uniform) %.4f\n", s.max_min_ratio, s.global_kl);
  if (s.empty_classes) std::printf("empty classes      %lld\n", static_cast<long long>(s.empty_classes));
  std::printf("mean client KL     %.4f (KL(client || uniform), averaged over clients)\n", s.mean_client_kl);
  std::printf("partitioned in     %.3f s\n", seconds);
}

void run(const PartitionOptions& o) {
  const ExperimentConfig config = load_config(o.config, o.overrides);
  const TrainTest data = load_data(config.data, config.seed);
  spdlog::info("{}: {} training samples, {} classes", data.train.name, data.train.n, data.train.classes);
  const auto start = std::chrono::steady_clock::now();
  const ClientStore store = make_partition(config.partition, data.train.labels, data.train.classes);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::filesystem::create_directories(o.out);
  const std::string path = (std::filesystem::path(o.out) / "clients.csv").string();
  write_clients_csv(store, path);
  const std::string samples = (std::filesystem::path(o.out) / "client_samples.txt").string();
  write_client_samples(store, samples);
  print_stats(store, partition_stats(store), seconds);
  std::printf("wrote              %s, %s\n", path.c_str(), samples.c_str());
}

}  // namespace

void add_partition_command(CLI::App& app) {
  auto opts = std::make_shared<PartitionOptions>();
  CLI::App* cmd = app.add_subcommand("partition", "Split the training set into clients and report the imbalance");
  cmd->add_option("--config", opts->config, "experiment TOML file")->required()->check(CLI::ExistingFile);
  cmd->add_option("--out", opts->out, "output directory (gets clients.csv and client_samples.txt)")->required();
  cmd->add_option("--set", opts->overrides, "override a config key: section.key=value (repeatable)");
  cmd->callback([opts] { run(*opts); });
}

}  // namespace astraea::cli
