// glibc gives threads their own malloc arenas (up to 8 per core) and each arena keeps what it
// freed: the copy's and the check's read-ahead threads took peak RSS to twice the data in
// flight (1M keys: 192-276 MiB for a /check, 120 MiB with two arenas). Two arenas, unless
// the operator set MALLOC_ARENA_MAX.
#include <malloc.h>

#include <cstdlib>

namespace {

const bool kArenasLimited = [] {
  if (std::getenv("MALLOC_ARENA_MAX") != nullptr) return false;
  return mallopt(M_ARENA_MAX, 2) == 1;
}();

}  // namespace
