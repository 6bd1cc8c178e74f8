// Where an experiment's data come from ([data] in the config) and loading them.
#pragma once

#include <cstdint>
#include <string>

#include "astraea/data/dataset.hpp"
#include "astraea/data/synthetic.hpp"

namespace astraea {

struct DataSource {
  std::string format = "idx";  // idx | cifar | synthetic
  // idx: the four files (plain or .gz). Defaults: Debian's dataset-fashion-mnist package.
  std::string train_images = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";
  std::string train_labels = "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz";
  std::string test_images = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
  std::string test_labels = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz";
  std::string dir;   // cifar: the directory of the binary batches
  int classes = 0;   // idx: 0 = max label + 1; synthetic: 0 = synthetic.classes
  SyntheticSpec synthetic;  // synthetic: shape, sizes, noise
};

// Loads train and test sets; the test set is checked against the training set's classes and shape.
TrainTest load_data(const DataSource& source, uint64_t seed);

}  // namespace astraea
