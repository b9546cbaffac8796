#include "sync/copy_progress.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/absl_fmt.h"

namespace etcdsync {

CopyProgress::CopyProgress(int64_t total_keys, std::chrono::seconds interval)
    : total_keys_(total_keys), interval_(interval) {}

std::string CopyProgress::Format(int64_t total_keys, int64_t keys_scanned, int64_t keys_written,
                                 int64_t bytes_written, double seconds) {
  const double rate = seconds > 0 ? static_cast<double>(keys_scanned) / seconds : 0.0;
  std::string line = fmt::format("{}/{} keys scanned, {} written ({:.1f} MiB), {:.0f} keys/s",
                                 keys_scanned, std::max(total_keys, keys_scanned), keys_written,
                                 static_cast<double>(bytes_written) / (1024.0 * 1024.0), rate);
  if (rate > 0 && total_keys > keys_scanned) {
    line += fmt::format(", ETA {:.0f}s", static_cast<double>(total_keys - keys_scanned) / rate);
  }
  return line;
}

void CopyProgress::Update(int64_t keys_scanned, int64_t keys_written, int64_t bytes_written) {
  const Clock::time_point now = Clock::now();
  if (now - last_log_ < interval_) return;
  last_log_ = now;
  const double seconds = std::chrono::duration<double>(now - start_).count();
  spdlog::info("initial copy: {}",
               Format(total_keys_, keys_scanned, keys_written, bytes_written, seconds));
}

void CopyProgress::Done(int64_t keys_scanned, int64_t keys_written, int64_t bytes_written) {
  const double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
  spdlog::info("initial copy done in {:.2f}s: {}", seconds,
               Format(keys_scanned, keys_scanned, keys_written, bytes_written, seconds));
}

}  // namespace etcdsync
