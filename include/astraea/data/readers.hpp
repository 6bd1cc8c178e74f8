// Readers for the standard on-disk formats. Each either returns a complete, validated data set or
// throws astraea::Error naming the file and what is wrong; there are no partial loads.
#pragma once

#include <string>

#include "astraea/data/dataset.hpp"

namespace astraea {

// IDX (MNIST, EMNIST, Fashion-MNIST), plain or gzip-compressed. `classes` = 0 infers the class
// count as max label + 1; otherwise every label must be below it.
Dataset read_idx(const std::string& images_path, const std::string& labels_path, int classes = 0);

// CIFAR-10 binary version: data_batch_1..5.bin (train) or test_batch.bin under `dir`.
Dataset read_cifar10(const std::string& dir, bool train);

// One CIFAR-10 binary batch file (records of 1 label byte + 3072 pixel bytes).
Dataset read_cifar10_batch(const std::string& path);

}  // namespace astraea
