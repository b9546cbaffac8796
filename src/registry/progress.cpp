#include "registry/progress.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <cstdio>
#include <mutex>

namespace registry {

std::string HumanBytes(double bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{:.0f} B", bytes) : fmt::format("{:.1f} {}", bytes, kUnits[unit]);
}

std::string HumanDuration(std::chrono::seconds duration) {
  const long long s = duration.count();
  if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  if (s >= 60) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

std::string ProgressLine(int64_t sent, int64_t total, int images_done, int images_total,
                         double elapsed_seconds) {
  sent = std::min(sent, total);
  const double rate = elapsed_seconds > 0 ? static_cast<double>(sent) / elapsed_seconds : 0;
  std::string eta = "--";
  if (rate > 0 && total > sent) {
    eta = HumanDuration(std::chrono::seconds(static_cast<long long>((total - sent) / rate) + 1));
  } else if (total <= sent) {
    eta = "0s";
  }
  return fmt::format("images {}/{}  {}/{}  {}/s  ETA {}", images_done, images_total,
                     HumanBytes(static_cast<double>(sent)), HumanBytes(static_cast<double>(total)),
                     HumanBytes(rate), eta);
}

ProgressReporter::ProgressReporter(const ProgressCounters& counters, bool tty,
                                   std::chrono::milliseconds interval)
    : ProgressReporter(std::vector<LabeledCounters>{{"", &counters}}, tty, interval) {}

ProgressReporter::ProgressReporter(std::vector<LabeledCounters> targets, bool tty,
                                   std::chrono::milliseconds interval)
    : targets_(std::move(targets)),
      tty_(tty),
      interval_(interval),
      start_(std::chrono::steady_clock::now()),
      thread_([this](std::stop_token stop) { Run(stop); }) {}

ProgressReporter::~ProgressReporter() {
  thread_.request_stop();
  thread_.join();
  if (tty_) {
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
  }
}

void ProgressReporter::Run(std::stop_token stop) {
  std::mutex mutex;
  std::condition_variable_any wake;
  // Never let a line go backwards (a retried blob rewinds).
  std::vector<int64_t> shown(targets_.size(), 0);
  while (!stop.stop_requested()) {
    {
      std::unique_lock lock(mutex);
      wake.wait_for(lock, stop, interval_, [] { return false; });
    }
    if (stop.stop_requested()) break;
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::string line;
    for (size_t i = 0; i < targets_.size(); ++i) {
      const ProgressCounters& counters = *targets_[i].counters;
      shown[i] = std::max(shown[i], counters.sent_bytes.load());
      if (!line.empty()) line += " | ";
      if (!targets_[i].label.empty()) line += targets_[i].label + ": ";
      line += ProgressLine(shown[i], counters.total_bytes.load(), counters.images_done.load(),
                           counters.images_total.load(), elapsed);
    }
    if (tty_) {
      std::fprintf(stderr, "\r\033[K%s", line.c_str());
      std::fflush(stderr);
    } else {
      spdlog::info("progress: {}", line);
    }
  }
}

}  // namespace registry
