// etcd expresses "every key with this prefix" as the half-open range [prefix, range_end).
#pragma once

#include <string>
#include <string_view>

namespace etcd {

// The smallest key greater than every key that starts with `prefix`; "\0" means "to the
// end of the keyspace" (etcd's convention) when the prefix is empty or all 0xff bytes.
std::string PrefixRangeEnd(std::string_view prefix);

// The smallest key strictly greater than `key`.
inline std::string KeySuccessor(std::string_view key) { return std::string(key) + '\0'; }

}  // namespace etcd
