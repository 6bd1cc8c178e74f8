// A family of named plug-ins — backends, models, optimizers, partitioners, augmentations,
// schedulers, losses, client and server algorithms, compare's methods. Each entry is a name, a
// line of help, the parameters it reads and a factory. names() feeds config validation, the CLI
// and --help; at() throws naming the config key and the known names. A family lists its entries
// in one place (its *_registry.cpp), so adding a plug-in is its own file, one entry and a test.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "astraea/core/error.hpp"

namespace astraea {

// A numeric parameter a plug-in reads from its config section, with its default and valid range
// (lo < v, or lo <= v when lo_inclusive; v <= hi).
struct ParamSpec {
  std::string name;
  double fallback = 0;
  double lo = 0;
  double hi = 1e300;
  bool lo_inclusive = true;
  std::string help;
};

// A plug-in's view of its parameters: the config's value when set, else the spec's default.
class ParamValues {
 public:
  ParamValues(const std::map<std::string, double>& set, const std::vector<ParamSpec>& specs) : set_(set), specs_(specs) {}
  double operator[](const std::string& name) const {
    for (const ParamSpec& p : specs_) {
      if (p.name != name) continue;
      const auto it = set_.find(name);
      return it == set_.end() ? p.fallback : it->second;
    }
    ASTRAEA_FAIL("parameter {} is not declared by this plug-in", name);
  }

 private:
  const std::map<std::string, double>& set_;
  const std::vector<ParamSpec>& specs_;
};

template <typename Factory>
struct RegistryEntry {
  RegistryEntry(std::string n, std::string h, Factory f, std::vector<ParamSpec> p = std::vector<ParamSpec>())
      : name(std::move(n)), help(std::move(h)), make(std::move(f)), params(std::move(p)) {}
  std::string name;
  std::string help;
  Factory make;
  std::vector<ParamSpec> params;
};

template <typename Factory>
class Registry {
 public:
  using Entry = RegistryEntry<Factory>;

  Registry(std::string family, std::vector<Entry> entries) : family_(std::move(family)), entries_(std::move(entries)) {}

  const std::string& family() const { return family_; }
  const std::vector<Entry>& entries() const { return entries_; }

  std::vector<std::string> names() const {
    std::vector<std::string> n;
    for (const Entry& e : entries_) n.push_back(e.name);
    return n;
  }
  // "a, b or c", for messages.
  std::string names_text() const {
    std::string s;
    for (size_t i = 0; i < entries_.size(); ++i) {
      s += i == 0 ? "" : (i + 1 == entries_.size() ? " or " : ", ");
      s += entries_[i].name;
    }
    return s;
  }
  bool contains(const std::string& name) const { return find(name) != nullptr; }
  const Entry* find(const std::string& name) const {
    for (const Entry& e : entries_)
      if (e.name == name) return &e;
    return nullptr;
  }
  // The entry called `name`; otherwise an error naming `key` (e.g. "astraea.scheduler").
  const Entry& at(const std::string& name, const std::string& key) const {
    const Entry* e = find(name);
    if (!e) ASTRAEA_FAIL("{} = \"{}\": not a {} (expected {})", key, name, family_, names_text());
    return *e;
  }

 private:
  std::string family_;
  std::vector<Entry> entries_;
};

}  // namespace astraea
