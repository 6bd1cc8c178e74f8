// `astraea data`: load a data set and print its shape, classes and class histogram — a user's
// first check of their own files.
#include <cstdio>
#include <string>

#include "astraea/data/readers.hpp"
#include "astraea/data/synthetic.hpp"
#include "astraea/core/error.hpp"
#include "commands.hpp"

namespace astraea::cli {
namespace {

struct DataOptions {
  std::string format = "idx";
  std::string images, labels, dir;
  bool test = false;
  int classes = 0;
};

void print_dataset(const Dataset& d) {
  std::printf("data set  %s\n", d.name.c_str());
  std::printf("shape     %s (n x channels x height x width), uint8\n", d.shape_string().c_str());
  std::printf("classes   %d\n", d.classes);
  std::printf("%-7s %9s %8s\n", "class", "samples", "share");
  const auto h = d.class_histogram();
  for (int y = 0; y < d.classes; ++y) std::printf("%-7d %9lld %7.2f%%\n", y, static_cast<long long>(h[y]), 100.0 * h[y] / d.n);
}

void run(const DataOptions& o) {
  if (o.format == "idx") {
    ASTRAEA_REQUIRE(!o.images.empty() && !o.labels.empty(), "--format idx needs --images FILE and --labels FILE");
    print_dataset(read_idx(o.images, o.labels, o.classes));
  } else if (o.format == "cifar") {
    ASTRAEA_REQUIRE(!o.dir.empty(), "--format cifar needs --dir DIR (the CIFAR-10 binary batches)");
    print_dataset(read_cifar10(o.dir, !o.test));
  } else {
    SyntheticSpec spec;
    print_dataset(o.test ? make_synthetic(spec, 1).test : make_synthetic(spec, 1).train);
  }
}

}  // namespace

void add_data_command(CLI::App& app) {
  auto opts = std::make_shared<DataOptions>();
  CLI::App* cmd = app.add_subcommand("data", "Load a data set and print its shape, class count and class histogram");
  cmd->add_option("--format", opts->format, "idx, cifar or synthetic")
      ->check(CLI::IsMember({"idx", "cifar", "synthetic"}));
  cmd->add_option("--images", opts->images, "IDX images file (plain or .gz)");
  cmd->add_option("--labels", opts->labels, "IDX labels file (plain or .gz)");
  cmd->add_option("--dir", opts->dir, "CIFAR-10 binary batches directory");
  cmd->add_option("--classes", opts->classes, "IDX: class count (0 = max label + 1)")->check(CLI::NonNegativeNumber);
  cmd->add_flag("--test", opts->test, "cifar/synthetic: the test split instead of the training split");
  cmd->callback([opts] { run(*opts); });
}

}  // namespace astraea::cli
