// What a domain expert knows about the classes (classes.file): a CSV whose header names its
// columns — `class` (the label index, required) and any of `name` (for reports and plots),
// `transforms` (the augmentation ops the class may get, separated by '|' or ' ': a 6 must not be
// rotated into a 9, a shirt may be flipped) and `max_ratio` (a cap on the class's augmentation
// ratio, 0 or empty for none). Classes not listed keep the defaults. Names cannot hold commas.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace astraea {

struct ClassInfo {
  std::vector<std::string> names;  // "" where not given
  std::vector<uint32_t> ops;       // AugmentOp bits per class
  std::vector<double> max_ratio;   // 0: no cap
  bool has_names = false, has_ops = false, has_max_ratio = false;
};

// Reads `path`; classes not listed get `default_ops` and no cap. Throws naming `key`, the file and
// the line.
ClassInfo read_class_info(const std::string& path, uint32_t default_ops, const std::string& key = "classes.file");

// The display name of class y: its name when given, else its index.
std::string class_label(const std::vector<std::string>& names, int y);

}  // namespace astraea
