#include "astraea/data/class_info.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>

#include "astraea/core/error.hpp"
#include "astraea/data/augmentation.hpp"

namespace astraea {
namespace {

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\r");
  if (a == std::string::npos) return "";
  return s.substr(a, s.find_last_not_of(" \t\r") - a + 1);
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> cells;
  size_t at = 0;
  while (true) {
    const size_t comma = line.find(',', at);
    cells.push_back(trim(line.substr(at, comma == std::string::npos ? std::string::npos : comma - at)));
    if (comma == std::string::npos) return cells;
    at = comma + 1;
  }
}

constexpr int kMaxClasses = 1 << 16;

}  // namespace

ClassInfo read_class_info(const std::string& path, uint32_t default_ops, const std::string& key) {
  std::ifstream in(path);
  if (!in) ASTRAEA_FAIL("{} = \"{}\": cannot open the file", key, path);
  std::string line;
  int lineno = 0;
  std::vector<std::string> header;
  while (header.empty() && std::getline(in, line)) {
    ++lineno;
    if (!trim(line).empty()) header = split(line);
  }
  const auto column = [&](const char* name) {
    const auto it = std::find(header.begin(), header.end(), name);
    return it == header.end() ? -1 : int(it - header.begin());
  };
  const int c_class = column("class"), c_name = column("name"), c_ops = column("transforms"),
            c_max = column("max_ratio");
  if (c_class < 0) ASTRAEA_FAIL("{} = \"{}\": line {}: the header has no \"class\" column", key, path, lineno);
  for (const std::string& h : header) {
    if (h != "class" && h != "name" && h != "transforms" && h != "max_ratio") {
      ASTRAEA_FAIL("{} = \"{}\": line {}: unknown column \"{}\" (expected class, name, transforms, max_ratio)", key,
                   path, lineno, h);
    }
  }
  ClassInfo info;
  info.has_names = c_name >= 0;
  info.has_ops = c_ops >= 0;
  info.has_max_ratio = c_max >= 0;
  std::vector<bool> seen;
  while (std::getline(in, line)) {
    ++lineno;
    if (trim(line).empty()) continue;
    const std::vector<std::string> cells = split(line);
    const auto where = [&] { return fmt::format("{} = \"{}\": line {}", key, path, lineno); };
    if (cells.size() != header.size()) {
      ASTRAEA_FAIL("{}: {} fields, the header has {}", where(), cells.size(), header.size());
    }
    int y = -1;
    try {
      size_t used = 0;
      y = std::stoi(cells[c_class], &used);
      if (used != cells[c_class].size()) y = -1;
    } catch (const std::exception&) {
    }
    if (y < 0 || y >= kMaxClasses) ASTRAEA_FAIL("{}: class \"{}\" is not an index in [0, 65536)", where(), cells[c_class]);
    if (size_t(y) >= seen.size()) {
      seen.resize(size_t(y) + 1, false);
      info.names.resize(size_t(y) + 1);
      info.ops.resize(size_t(y) + 1, default_ops);
      info.max_ratio.resize(size_t(y) + 1, 0.0);
    }
    if (seen[y]) ASTRAEA_FAIL("{}: class {} is listed twice", where(), y);
    seen[y] = true;
    if (c_name >= 0) info.names[y] = cells[c_name];
    if (c_ops >= 0 && !cells[c_ops].empty()) info.ops[y] = parse_transforms(cells[c_ops], where() + ": transforms");
    if (c_max >= 0 && !cells[c_max].empty()) {
      double v = -1;
      try {
        size_t used = 0;
        v = std::stod(cells[c_max], &used);
        if (used != cells[c_max].size()) v = -1;
      } catch (const std::exception&) {
      }
      if (!(v >= 0 && std::isfinite(v))) ASTRAEA_FAIL("{}: max_ratio \"{}\" is not a number >= 0", where(), cells[c_max]);
      info.max_ratio[y] = v;
    }
  }
  if (seen.empty()) ASTRAEA_FAIL("{} = \"{}\": lists no class", key, path);
  return info;
}

std::string class_label(const std::vector<std::string>& names, int y) {
  return y >= 0 && y < int(names.size()) && !names[y].empty() ? names[y] : std::to_string(y);
}

}  // namespace astraea
