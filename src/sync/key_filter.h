// Decides which keys of the source are replicated. The engine asks only this interface, so
// rule sets (namespaces, resources, patterns) plug in without touching the engine.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace etcdsync {

class KeyFilter {
 public:
  virtual ~KeyFilter() = default;
  virtual bool Includes(std::string_view key) const = 0;
  // For a key Includes() accepts: whether this value of it is replicated. Rules that look
  // at the object (a Pod bound to a node is cluster-local runtime state) say no here; such
  // a key is neither written, deleted as surplus, nor compared while either side's value is
  // excluded. Default: every value.
  virtual bool IncludesValue(std::string_view /*key*/, std::string_view /*value*/) const {
    return true;
  }
};

// Everything under `prefix` except keys under any of `excluded_prefixes`.
class PrefixFilter : public KeyFilter {
 public:
  PrefixFilter(std::string prefix, std::vector<std::string> excluded_prefixes);
  bool Includes(std::string_view key) const override;

 private:
  std::string prefix_;
  std::vector<std::string> excluded_prefixes_;
};

}  // namespace etcdsync
