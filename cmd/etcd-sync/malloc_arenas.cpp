// glibc gives threads their own malloc arenas (up to 8 per core) and each arena keeps what it
// freed: the copy's and the check's read-ahead threads took peak RSS to twice the data in
// flight (1M keys: 192-276 MiB for a /check, 120 MiB with two arenas). Two arenas, unless
// the operator set MALLOC_ARENA_MAX.
// A burst (100k keys deleted in one source revision: one watch response of 100k events, then
// 782 Txns) is freed once written, but glibc keeps the freed pages: RSS stayed 35 MiB above
// the copy's for good (67 -> 102 MiB at 100k). Every few seconds, when more than
// kTrimAboveBytes lie free in the arenas, they go back to the system (malloc_trim).
#include <malloc.h>
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace {

constexpr size_t kTrimAboveBytes = 4u << 20;
constexpr auto kTrimInterval = std::chrono::seconds(5);

const bool kArenasLimited = [] {
  if (std::getenv("MALLOC_ARENA_MAX") != nullptr) return false;
  return mallopt(M_ARENA_MAX, 2) == 1;
}();

void ReturnFreeMemory(std::stop_token stop) {
  std::mutex mutex;
  std::condition_variable_any wake;
  std::unique_lock lock(mutex);
  while (!stop.stop_requested()) {
    wake.wait_for(lock, stop, kTrimInterval, [] { return false; });
    if (!stop.stop_requested() && mallinfo2().fordblks > kTrimAboveBytes) malloc_trim(0);
  }
}

// Started with the process, stopped and joined at exit (its wait ends on the stop request).
// It starts before main() blocks SIGTERM/SIGINT for its sigwait, so it is started with every
// signal blocked: a SIGTERM delivered to it would otherwise take the default action and end
// the process with 143 instead of the orderly shutdown.
std::jthread StartFreeMemoryReturner() {
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  std::jthread thread(ReturnFreeMemory);
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return thread;
}

std::jthread free_memory_returner = StartFreeMemoryReturner();

}  // namespace
