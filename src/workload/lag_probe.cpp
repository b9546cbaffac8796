#include "workload/lag_probe.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <mutex>
#include <thread>
#include <vector>

#include "common/status_macros.h"
#include "etcd/key_range.h"
#include "etcd/watch_stream.h"

namespace workload {
namespace {

using Clock = std::chrono::steady_clock;

double Percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t index = std::min(sorted.size() - 1, static_cast<size_t>(p * sorted.size()));
  return sorted[index];
}

}  // namespace

absl::StatusOr<LagResult> MeasureLag(etcd::Client& source, etcd::Client& destination,
                                     const LagOptions& options) {
  const int64_t total = options.rate_per_second * options.duration.count();
  std::vector<std::atomic<int64_t>> sent_at(static_cast<size_t>(total));
  std::vector<double> lag_of(static_cast<size_t>(total), -1);  // ms, by probe; -1: not seen

  etcd::pb::RangeRequest head;
  head.set_key(options.prefix);
  head.set_range_end(etcd::PrefixRangeEnd(options.prefix));
  head.set_count_only(true);
  ASSIGN_OR_RETURN(etcd::pb::RangeResponse at, destination.Range(head));
  etcd::pb::WatchCreateRequest create;
  create.set_key(options.prefix);
  create.set_range_end(etcd::PrefixRangeEnd(options.prefix));
  create.set_start_revision(at.header().revision() + 1);
  ASSIGN_OR_RETURN(auto watch, etcd::WatchStream::Open(destination, create));

  std::atomic<int64_t> received{0};
  std::jthread watcher([&](std::stop_token stop) {
    std::stop_callback cancel(stop, [&] { watch->Cancel(); });
    while (!stop.stop_requested()) {
      auto response = watch->Next();
      if (!response.ok()) return;
      const auto now = Clock::now().time_since_epoch().count();
      for (const auto& event : response->events()) {
        if (event.type() != mvccpb::Event::PUT) continue;
        // The probe's number: in the key, or at the start of the value when keys are reused.
        const std::string& text = options.keys > 0 ? event.kv().value() : event.kv().key();
        const size_t skip = options.keys > 0 ? 0 : options.prefix.size();
        if (text.size() < skip) continue;
        int64_t index = -1;
        std::from_chars(text.data() + skip, text.data() + text.size(), index);
        if (index < 0 || index >= total) continue;
        const int64_t sent = sent_at[static_cast<size_t>(index)].load();
        if (sent == 0 || lag_of[static_cast<size_t>(index)] >= 0) continue;
        lag_of[static_cast<size_t>(index)] = static_cast<double>(now - sent) / 1e6;
        ++received;
      }
    }
  });

  // Writers share the schedule so a slow Put does not hold back the others.
  const int kWriters = std::max(1, options.writers);
  const std::string padding(options.value_size, 'p');
  std::atomic<int64_t> sent{0};
  std::mutex error_mutex;
  absl::Status write_error;
  const Clock::time_point start = Clock::now();
  {
    std::vector<std::jthread> writers;
    for (int w = 0; w < kWriters; ++w) {
      writers.emplace_back([&, w] {
        for (int64_t i = w; i < total; i += kWriters) {
          std::this_thread::sleep_until(
              start + std::chrono::nanoseconds(i * 1'000'000'000LL / options.rate_per_second));
          // Behind schedule past the duration (a rate above what the source takes): stop,
          // so that --duration bounds the run and the achieved rate is the ceiling.
          if (Clock::now() > start + options.duration) return;
          etcd::pb::PutRequest put;
          if (options.keys > 0) {
            put.set_key(options.prefix + std::to_string(i % options.keys));
            std::string value = std::to_string(i) + ":";
            if (value.size() < padding.size()) value.append(padding, value.size());
            put.set_value(std::move(value));
          } else {
            put.set_key(options.prefix + std::to_string(i));
            put.set_value(padding);
          }
          sent_at[static_cast<size_t>(i)] = Clock::now().time_since_epoch().count();
          auto done = source.Put(put);
          if (!done.ok()) {
            std::lock_guard lock(error_mutex);
            write_error = done.status();
            return;
          }
          ++sent;
        }
      });
    }
  }
  const double send_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  RETURN_IF_ERROR(write_error);
  const Clock::time_point drain_deadline = Clock::now() + options.drain_timeout;
  while (received.load() < sent.load() && Clock::now() < drain_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  watcher.request_stop();
  watcher.join();

  LagResult result;
  result.sent = sent.load();
  result.received = received.load();
  result.achieved_rate = static_cast<double>(result.sent) / send_seconds;
  std::vector<double> lags_ms;
  for (double lag : lag_of) {
    if (lag >= 0) lags_ms.push_back(lag);
  }
  std::sort(lags_ms.begin(), lags_ms.end());
  result.p50_ms = Percentile(lags_ms, 0.50);
  result.p99_ms = Percentile(lags_ms, 0.99);
  result.max_ms = lags_ms.empty() ? 0 : lags_ms.back();
  // Windows by the time each probe was sent (behind schedule, probes go out late).
  const int64_t window_ns = std::chrono::nanoseconds(options.window).count();
  const int64_t start_ns = start.time_since_epoch().count();
  for (int64_t i = 0; window_ns > 0 && i < total; ++i) {
    const int64_t sent_ns = sent_at[static_cast<size_t>(i)].load();
    if (sent_ns == 0) continue;
    const size_t w = static_cast<size_t>(std::max<int64_t>(0, sent_ns - start_ns) / window_ns);
    if (result.windows.size() <= w) result.windows.resize(w + 1);
    ++result.windows[w].sent;
  }
  std::vector<std::vector<double>> window_lags(result.windows.size());
  for (int64_t i = 0; window_ns > 0 && i < total; ++i) {
    const int64_t sent_ns = sent_at[static_cast<size_t>(i)].load();
    if (sent_ns == 0 || lag_of[static_cast<size_t>(i)] < 0) continue;
    window_lags[static_cast<size_t>(std::max<int64_t>(0, sent_ns - start_ns) / window_ns)]
        .push_back(lag_of[static_cast<size_t>(i)]);
  }
  for (size_t w = 0; w < result.windows.size(); ++w) {
    LagWindow& window = result.windows[w];
    std::vector<double>& lags = window_lags[w];
    std::sort(lags.begin(), lags.end());
    window.start_s = static_cast<double>(w) * static_cast<double>(options.window.count());
    window.received = static_cast<int64_t>(lags.size());
    window.p50_ms = Percentile(lags, 0.50);
    window.p99_ms = Percentile(lags, 0.99);
    window.max_ms = lags.empty() ? 0 : lags.back();
  }
  return result;
}

}  // namespace workload
