// One change to apply to the destination: a put or a delete of a single key, stamped with
// the source revision that produced it.
#pragma once

#include <cstdint>
#include <string>

namespace etcdsync {

struct Mutation {
  enum class Kind { kPut, kDelete };
  Kind kind = Kind::kPut;
  std::string key;
  std::string value;     // empty for deletes
  int64_t revision = 0;  // source mod revision (0 during the initial copy)

  size_t bytes() const { return key.size() + value.size(); }
};

}  // namespace etcdsync
