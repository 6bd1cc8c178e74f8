// Named global class distributions for the Astraea partitioner: the share of each class in the
// subsampled training set.
//   balanced            every class equal
//   zipf:s              w_y = 1 / (y + 1)^s                 (max/min ratio N^s)
//   halfnormal:sigma    w_y = exp(-x^2 / (2 sigma^2)), x = y / (N - 1)
//   linear:min_ratio    w_y falls linearly from 1 (class 0) to min_ratio (class N - 1)
//   letters             English letter frequencies (26 classes: a..z; 47 classes: EMNIST balanced,
//                       digits at the mean letter frequency, upper and merged lower case letters
//                       at their letter's frequency)
// Class 0 is the most frequent class of every decreasing profile.
#pragma once

#include <string>
#include <vector>

namespace astraea {

// Weights scaled so that the largest is 1. Throws naming `key` when `spec` does not parse.
// Checks the name and parameter of `spec` without a class count.
void check_class_profile(const std::string& spec, const std::string& key = "partition.global");

std::vector<double> class_profile(const std::string& spec, int classes, const std::string& key = "partition.global");

// A distribution over the classes, normalised (astraea.target): "uniform", any profile above, a
// comma-separated list of weights, or a CSV file of "class,weight" lines (a header line allowed;
// classes not listed weigh 0). Throws naming `key` and, for a file, its line.
std::vector<double> class_distribution(const std::string& spec, int classes, const std::string& key);

}  // namespace astraea
