// Typed, key-tracking access to a TOML experiment file. Each read names its key; after all
// sections are read, finish() rejects every key nobody asked for, so a typo is an error, not a
// silently ignored setting. Private to src/io.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <toml++/toml.h>

namespace astraea {

class ConfigReader {
 public:
  ConfigReader(toml::table table, std::string source) : table_(std::move(table)), source_(std::move(source)) {}

  // Reads section.key into `out` when present (leaving the default otherwise); type mismatches
  // throw naming the file and key.
  void read(const std::string& section, const std::string& key, std::string& out);
  void read(const std::string& section, const std::string& key, int64_t& out);
  void read(const std::string& section, const std::string& key, uint64_t& out);
  void read(const std::string& section, const std::string& key, int& out);
  void read(const std::string& section, const std::string& key, double& out);
  void read(const std::string& section, const std::string& key, float& out);
  void read(const std::string& section, const std::string& key, bool& out);

  bool has(const std::string& section, const std::string& key) const;

  // Throws listing every key that is not a known one.
  void finish() const;

  const std::string& source() const { return source_; }
  [[noreturn]] void fail(const std::string& section, const std::string& key, const std::string& what) const;

 private:
  const toml::node* find(const std::string& section, const std::string& key);

  toml::table table_;
  std::string source_;
  std::set<std::string> known_;  // "section.key" asked for by a reader
};

// Parses `text` (file contents) or throws naming `source` and the line of the syntax error.
toml::table parse_toml(const std::string& text, const std::string& source);

// Applies `--set section.key=value` overrides: the value is read as a TOML value (number, bool,
// quoted string, array) and, failing that, as a bare string.
void apply_overrides(toml::table& table, const std::vector<std::string>& overrides);

}  // namespace astraea
