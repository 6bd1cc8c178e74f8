#include "config_reader.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <sstream>

#include "astraea/core/error.hpp"

namespace astraea {
namespace {

std::string describe(const toml::node& node) {
  std::ostringstream s;
  s << node.type() << " ";
  if (node.is_table()) return s.str() + "(a [section])";
  if (node.is_array()) return s.str() + "(an array)";
  node.visit([&](auto&& v) { s << v; });
  return s.str();
}

}  // namespace

namespace {

// toml++ 3.3 (Debian's) parses nested arrays, inline tables and dotted keys recursively, so a
// crafted file overflows the stack; an experiment config is small and flat. Refuse, before
// parsing, more than 1 MiB, brackets nested deeper than 32, or keys of more than 32 dotted parts
// (dots between digits belong to numbers). Strings and comments are skipped.
void check_toml_shape(const std::string& text, const std::string& source) {
  constexpr size_t kMaxBytes = 1 << 20;
  constexpr int kMaxDepth = 32, kMaxDots = 32;
  if (text.size() > kMaxBytes) ASTRAEA_FAIL("{}: {} bytes; a config may hold at most {}", source, text.size(), kMaxBytes);
  int depth = 0, dots = 0, line = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') {
      ++line;
      dots = 0;
    } else if (c == '#') {
      while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
    } else if (c == '"' || c == '\'') {
      const bool multi = text.compare(i, 3, std::string(3, c)) == 0;
      const std::string close = multi ? std::string(3, c) : std::string(1, c);
      size_t j = i + close.size();
      while (j < text.size() && text.compare(j, close.size(), close) != 0) {
        if (c == '"' && text[j] == '\\') ++j;  // escapes in basic strings
        if (text[j] == '\n') ++line;
        ++j;
      }
      i = std::min(text.size(), j + close.size()) - 1;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxDepth) ASTRAEA_FAIL("{}:{}: brackets nested more than {} deep", source, line, kMaxDepth);
    } else if (c == ']' || c == '}') {
      --depth;
    } else if (c == '.') {
      const bool numeric = i > 0 && i + 1 < text.size() && std::isdigit(static_cast<unsigned char>(text[i - 1])) &&
                           std::isdigit(static_cast<unsigned char>(text[i + 1]));
      if (!numeric && ++dots > kMaxDots) ASTRAEA_FAIL("{}:{}: a key of more than {} dotted parts", source, line, kMaxDots);
    }
  }
}

}  // namespace

toml::table parse_toml(const std::string& text, const std::string& source) {
  check_toml_shape(text, source);
  try {
    return toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    ASTRAEA_FAIL("{}:{}:{}: TOML syntax error: {}", source, e.source().begin.line, e.source().begin.column,
                 e.description());
  }
}

void apply_overrides(toml::table& table, const std::vector<std::string>& overrides) {
  for (const std::string& item : overrides) {
    const auto eq = item.find('=');
    const auto dot = item.find('.');
    if (eq == std::string::npos || dot == std::string::npos || dot > eq || dot == 0 || dot + 1 == eq) {
      ASTRAEA_FAIL("--set {}: expected section.key=value", item);
    }
    const std::string section = item.substr(0, dot);
    const std::string key = item.substr(dot + 1, eq - dot - 1);
    const std::string value = item.substr(eq + 1);
    if (!table.contains(section)) table.insert(section, toml::table{});
    toml::table* sec = table[section].as_table();
    if (sec == nullptr) ASTRAEA_FAIL("--set {}: '{}' is not a [section]", item, section);
    check_toml_shape("v = " + value, "--set " + item);
    try {
      toml::table parsed = toml::parse("v = " + value);
      sec->insert_or_assign(key, *parsed.get("v"));
    } catch (const toml::parse_error&) {
      sec->insert_or_assign(key, value);  // a bare word such as zipf:1.5
    }
  }
}

const toml::node* ConfigReader::find(const std::string& section, const std::string& key) {
  known_.insert(section + "." + key);
  const toml::node* sec = table_.get(section);
  if (sec == nullptr) return nullptr;
  if (!sec->is_table()) fail(section, "", "expected a [" + section + "] section");
  return sec->as_table()->get(key);
}

bool ConfigReader::has(const std::string& section, const std::string& key) const {
  const toml::node* sec = table_.get(section);
  return sec != nullptr && sec->is_table() && sec->as_table()->contains(key);
}

void ConfigReader::fail(const std::string& section, const std::string& key, const std::string& what) const {
  if (key.empty()) ASTRAEA_FAIL("{}: {}: {}", source_, section, what);
  ASTRAEA_FAIL("{}: {}.{}: {}", source_, section, key, what);
}

void ConfigReader::read(const std::string& section, const std::string& key, std::string& out) {
  const toml::node* n = find(section, key);
  if (n == nullptr) return;
  if (!n->is_string()) fail(section, key, "expected a string, got " + describe(*n));
  out = n->as_string()->get();
}

void ConfigReader::read(const std::string& section, const std::string& key, int64_t& out) {
  const toml::node* n = find(section, key);
  if (n == nullptr) return;
  if (n->is_integer()) {
    out = n->as_integer()->get();
    return;
  }
  if (n->is_floating_point()) {  // 1e5 is a natural way to write a count
    const double v = n->as_floating_point()->get();
    if (std::floor(v) == v && std::fabs(v) < 9.0e15) {
      out = static_cast<int64_t>(v);
      return;
    }
  }
  fail(section, key, "expected an integer, got " + describe(*n));
}

void ConfigReader::read(const std::string& section, const std::string& key, uint64_t& out) {
  int64_t v = static_cast<int64_t>(out);
  read(section, key, v);
  if (v < 0) fail(section, key, fmt::format("must be >= 0, got {}", v));
  out = static_cast<uint64_t>(v);
}

void ConfigReader::read(const std::string& section, const std::string& key, int& out) {
  int64_t v = out;
  read(section, key, v);
  if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) {
    fail(section, key, fmt::format("{} is out of range", v));
  }
  out = static_cast<int>(v);
}

void ConfigReader::read(const std::string& section, const std::string& key, double& out) {
  const toml::node* n = find(section, key);
  if (n == nullptr) return;
  if (n->is_floating_point()) {
    out = n->as_floating_point()->get();
  } else if (n->is_integer()) {
    out = static_cast<double>(n->as_integer()->get());
  } else {
    fail(section, key, "expected a number, got " + describe(*n));
  }
  if (!std::isfinite(out)) fail(section, key, "must be a finite number");
}

void ConfigReader::read(const std::string& section, const std::string& key, float& out) {
  double v = out;
  read(section, key, v);
  out = static_cast<float>(v);
}

void ConfigReader::read(const std::string& section, const std::string& key, bool& out) {
  const toml::node* n = find(section, key);
  if (n == nullptr) return;
  if (!n->is_boolean()) fail(section, key, "expected true or false, got " + describe(*n));
  out = n->as_boolean()->get();
}

void ConfigReader::finish() const {
  std::vector<std::string> unknown;
  for (const auto& [section, node] : table_) {
    const std::string sec(section.str());
    if (!node.is_table()) {
      unknown.push_back(sec + " (top-level keys belong in a [section])");
      continue;
    }
    for (const auto& [key, value] : *node.as_table()) {
      (void)value;
      const std::string full = sec + "." + std::string(key.str());
      if (!known_.count(full)) unknown.push_back(full);
    }
  }
  if (unknown.empty()) return;
  std::string list;
  for (const auto& u : unknown) list += (list.empty() ? "" : ", ") + u;
  std::string known;
  for (const auto& k : known_) known += (known.empty() ? "" : " ") + k;
  ASTRAEA_FAIL("{}: unknown key{} {} (known keys: {})", source_, unknown.size() > 1 ? "s" : "", list, known);
}

}  // namespace astraea
