#include "astraea/io/partition_csv.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <algorithm>
#include <climits>
#include <fstream>
#include <memory>
#include <tuple>
#include <unordered_map>

#include "astraea/core/error.hpp"
#include "astraea/io/output_file.hpp"

namespace astraea {
namespace {

// A CSV line's comma-separated fields, each a non-negative integer; throws naming the file, line
// and field otherwise.
std::vector<int64_t> non_negative_fields(const std::string& line, const std::string& path, int64_t lineno) {
  std::vector<int64_t> fields;
  size_t at = 0;
  while (at <= line.size()) {
    const size_t comma = std::min(line.find(',', at), line.size());
    const std::string field = line.substr(at, comma - at);
    size_t used = 0;
    int64_t v = -1;
    try {
      v = std::stoll(field, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != field.size() || field.empty() || v < 0) {
      ASTRAEA_FAIL("{}:{}: \"{}\" is not a non-negative integer", path, lineno, field);
    }
    fields.push_back(v);
    at = comma + 1;
  }
  return fields;
}

}  // namespace

void write_clients_csv(const ClientStore& store, const std::string& path) {
  std::string text = "id,size";
  for (int y = 0; y < store.classes(); ++y) text += fmt::format(",class_{}", y);
  text += '\n';
  for (int64_t k = 0; k < store.num_clients(); ++k) {
    text += fmt::format("{},{}", k, store.size(k));
    const int32_t* h = store.histogram_row(k);
    for (int y = 0; y < store.classes(); ++y) text += fmt::format(",{}", h[y]);
    text += '\n';
  }
  write_file_atomically(path, text);
}

void write_client_samples(const ClientStore& store, const std::string& path) {
  std::string text;
  for (int64_t k = 0; k < store.num_clients(); ++k) {
    for (int64_t i = 0; i < store.size(k); ++i) text += fmt::format(i ? " {}" : "{}", store.samples(k)[i]);
    text += '\n';
  }
  write_file_atomically(path, text);
}

ClientHistograms read_clients_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) ASTRAEA_FAIL("{}: cannot open", path);
  ClientHistograms h;
  std::string line;
  if (!std::getline(in, line) || line.rfind("id,size,class_0", 0) != 0) {
    ASTRAEA_FAIL("{}:1: expected the header id,size,class_0,... (the clients.csv astraea partition writes)", path);
  }
  h.classes = static_cast<int>(std::count(line.begin(), line.end(), ',')) - 1;
  ASTRAEA_REQUIRE(h.classes >= 2 && h.classes <= (1 << 16), "{}:1: {} classes", path, h.classes);
  for (int64_t lineno = 2; std::getline(in, line); ++lineno) {
    if (line.empty()) continue;
    const std::vector<int64_t> fields = non_negative_fields(line, path, lineno);
    if (fields.size() != size_t(h.classes) + 2) {
      ASTRAEA_FAIL("{}:{}: {} fields, the header has {}", path, lineno, fields.size(), h.classes + 2);
    }
    if (!h.ids.empty() && fields[0] <= h.ids.back()) ASTRAEA_FAIL("{}:{}: ids must ascend", path, lineno);
    int64_t sum = 0;
    for (int y = 0; y < h.classes; ++y) {
      if (fields[2 + y] > INT32_MAX) ASTRAEA_FAIL("{}:{}: count {} too large", path, lineno, fields[2 + y]);
      sum += fields[2 + y];
      h.counts.push_back(static_cast<int32_t>(fields[2 + y]));
    }
    if (sum != fields[1]) ASTRAEA_FAIL("{}:{}: size {} but the counts sum to {}", path, lineno, fields[1], sum);
    h.ids.push_back(fields[0]);
  }
  if (h.ids.empty()) ASTRAEA_FAIL("{}: no clients", path);
  return h;
}

std::vector<std::vector<int64_t>> read_groups_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) ASTRAEA_FAIL("{}: cannot open", path);
  std::string line;
  if (!std::getline(in, line) || line != "mediator,client,order") {
    ASTRAEA_FAIL("{}:1: expected the header mediator,client,order (the groups.csv astraea schedule writes)", path);
  }
  std::vector<std::vector<int64_t>> groups;  // -1: no client at that order yet
  std::unordered_map<int64_t, int64_t> client_line;
  for (int64_t lineno = 2; std::getline(in, line); ++lineno) {
    if (line.empty()) continue;
    const std::vector<int64_t> f = non_negative_fields(line, path, lineno);
    if (f.size() != 3) ASTRAEA_FAIL("{}:{}: expected three fields mediator,client,order, found {}", path, lineno, f.size());
    const auto [mediator, client, order] = std::tuple{f[0], f[1], f[2]};
    if (mediator > int64_t(1) << 31 || order > int64_t(1) << 31) ASTRAEA_FAIL("{}:{}: mediator or order too large", path, lineno);
    if (const auto [it, fresh] = client_line.emplace(client, lineno); !fresh) {
      ASTRAEA_FAIL("{}:{}: client {} is already in a mediator (line {})", path, lineno, client, it->second);
    }
    if (size_t(mediator) >= groups.size()) groups.resize(size_t(mediator) + 1);
    auto& g = groups[size_t(mediator)];
    if (size_t(order) >= g.size()) g.resize(size_t(order) + 1, -1);
    if (g[size_t(order)] >= 0) {
      ASTRAEA_FAIL("{}:{}: mediator {} has two clients at order {} (line {})", path, lineno, mediator, order,
                   client_line.at(g[size_t(order)]));
    }
    g[size_t(order)] = client;
  }
  if (groups.empty()) ASTRAEA_FAIL("{}: no groups", path);
  for (size_t m = 0; m < groups.size(); ++m) {
    if (groups[m].empty()) ASTRAEA_FAIL("{}: mediator {} is missing (mediators are numbered from 0 without gaps)", path, m);
    for (size_t k = 0; k < groups[m].size(); ++k)
      if (groups[m][k] < 0) ASTRAEA_FAIL("{}: mediator {} has no client at order {} (orders run from 0 without gaps)", path, m, k);
  }
  return groups;
}

void write_groups_csv(const std::vector<std::vector<int64_t>>& groups, const std::string& path) {
  std::string text = "mediator,client,order\n";
  for (size_t m = 0; m < groups.size(); ++m)
    for (size_t k = 0; k < groups[m].size(); ++k) text += fmt::format("{},{},{}\n", m, groups[m][k], k);
  write_file_atomically(path, text);
}

}  // namespace astraea
