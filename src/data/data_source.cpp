#include "astraea/data/data_source.hpp"

#include "astraea/core/error.hpp"
#include "astraea/data/readers.hpp"

namespace astraea {

TrainTest load_data(const DataSource& source, uint64_t seed) {
  TrainTest data;
  if (source.format == "idx") {
    data.train = read_idx(source.train_images, source.train_labels, source.classes);
    data.test = read_idx(source.test_images, source.test_labels, data.train.classes);
  } else if (source.format == "cifar") {
    ASTRAEA_REQUIRE(!source.dir.empty(), "data.dir: the CIFAR-10 format needs the directory of its binary batches");
    data.train = read_cifar10(source.dir, true);
    data.test = read_cifar10(source.dir, false);
  } else if (source.format == "synthetic") {
    SyntheticSpec spec = source.synthetic;
    if (source.classes > 0) spec.classes = source.classes;
    return make_synthetic(spec, seed);
  } else {
    ASTRAEA_FAIL("data.format = \"{}\": unknown format (expected idx, cifar or synthetic)", source.format);
  }
  const Dataset& tr = data.train;
  const Dataset& te = data.test;
  ASTRAEA_REQUIRE(tr.channels == te.channels && tr.height == te.height && tr.width == te.width,
                  "{} holds {}x{}x{} images but {} holds {}x{}x{}", tr.name, tr.channels, tr.height, tr.width, te.name,
                  te.channels, te.height, te.width);
  return data;
}

}  // namespace astraea
