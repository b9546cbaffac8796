#include "sync/key_filter.h"

namespace etcdsync {

PrefixFilter::PrefixFilter(std::string prefix, std::vector<std::string> excluded_prefixes)
    : prefix_(std::move(prefix)), excluded_prefixes_(std::move(excluded_prefixes)) {}

bool PrefixFilter::Includes(std::string_view key) const {
  if (!key.starts_with(prefix_)) return false;
  for (const std::string& excluded : excluded_prefixes_) {
    if (key.starts_with(excluded)) return false;
  }
  return true;
}

}  // namespace etcdsync
