#include "registry/pusher.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

#include "common/absl_fmt.h"
#include "registry/progress.h"
#include "registry/push_plan.h"

namespace registry {
namespace {

struct Shared {
  std::atomic<int64_t> uploaded{0}, mounted{0}, present{0}, manifests{0}, bytes{0};
  std::atomic<int> images_pushed{0};
};

// Runs fn(session, item) for items [0, count) on the workers; stops at the first error.
absl::Status ForEachParallel(std::vector<std::unique_ptr<HttpSession>>& sessions, size_t count,
                             const std::function<absl::Status(HttpSession&, size_t)>& fn) {
  std::atomic<size_t> next{0};
  std::mutex mutex;
  absl::Status first;
  {
    std::vector<std::jthread> workers;
    for (auto& session : sessions) {
      workers.emplace_back([&, s = session.get()] {
        while (true) {
          const size_t item = next++;
          if (item >= count) return;
          {
            std::lock_guard lock(mutex);
            if (!first.ok()) return;
          }
          absl::Status status = fn(*s, item);
          if (!status.ok()) {
            std::lock_guard lock(mutex);
            if (first.ok()) first = status;
          }
        }
      });
    }
  }
  return first;
}

class Executor {
 public:
  Executor(RegistryClient& client, const bundle::OciLayout& layout, PushPlan& plan,
           ProgressCounters& progress, Shared& shared)
      : client_(client), layout_(layout), plan_(plan), progress_(progress), shared_(shared) {}

  absl::Status Run(std::vector<std::unique_ptr<HttpSession>>& sessions) {
    for (size_t i = 0; i < plan_.tasks.size(); ++i) {
      if (plan_.tasks[i].dependencies == 0) ready_.push({Priority(i), i});
    }
    {
      std::vector<std::jthread> workers;
      for (auto& session : sessions) {
        workers.emplace_back([this, s = session.get()] { Work(*s); });
      }
    }
    return failure_;
  }

 private:
  using Entry = std::pair<std::tuple<int, int, int64_t>, size_t>;

  std::tuple<int, int, int64_t> Priority(size_t index) const {
    return TaskPriority(plan_.tasks[index]);
  }

  void Work(HttpSession& session) {
    std::unique_lock lock(mutex_);
    while (true) {
      wake_.wait(lock, [&] { return !failure_.ok() || !ready_.empty() || in_flight_ == 0; });
      if (!failure_.ok() || ready_.empty()) {
        wake_.notify_all();
        return;
      }
      const size_t index = ready_.top().second;
      ready_.pop();
      ++in_flight_;
      lock.unlock();
      absl::Status status = client_.stopping() ? absl::CancelledError("interrupted")
                                               : Execute(session, plan_.tasks[index]);
      lock.lock();
      --in_flight_;
      if (!status.ok()) {
        if (failure_.ok()) failure_ = status;
      } else {
        for (size_t dependent : plan_.tasks[index].dependents) {
          if (--plan_.tasks[dependent].dependencies == 0)
            ready_.push({Priority(dependent), dependent});
        }
      }
      wake_.notify_all();
    }
  }

  absl::Status Upload(HttpSession& session, const PlanTask& task) {
    const std::string what = fmt::format("image {} blob {}", task.image, task.blob.digest);
    absl::Status status =
        client_.UploadBlob(session, task.repository, task.blob, layout_.Locate(task.blob.digest),
                           what, [this](int64_t bytes) { progress_.sent_bytes += bytes; });
    if (!status.ok()) return status;
    shared_.uploaded++;
    shared_.bytes += task.blob.size;
    spdlog::debug("uploaded {} ({}) to {}", task.blob.digest, HumanBytes(task.blob.size),
                  task.repository);
    return absl::OkStatus();
  }

  absl::Status Execute(HttpSession& session, const PlanTask& task) {
    switch (task.kind) {
      case PlanTask::Kind::kUpload: {
        auto exists = client_.BlobExists(session, task.repository, task.blob.digest);
        if (!exists.ok()) return exists.status();
        if (*exists) {
          shared_.present++;
          progress_.total_bytes -= task.blob.size;
          return absl::OkStatus();
        }
        return Upload(session, task);
      }
      case PlanTask::Kind::kMount: {
        auto mounted = client_.MountBlob(session, task.repository, task.blob.digest, task.from);
        if (!mounted.ok()) return mounted.status();
        if (*mounted) {
          shared_.mounted++;
          return absl::OkStatus();
        }
        spdlog::debug("registry declined to mount {} into {}; uploading", task.blob.digest,
                      task.repository);
        progress_.total_bytes += task.blob.size;
        return Upload(session, task);
      }
      case PlanTask::Kind::kManifest: {
        absl::Status status =
            client_.PutManifest(session, task.repository, task.reference,
                                task.manifest->descriptor.media_type, task.manifest->bytes);
        if (!status.ok()) return status;
        shared_.manifests++;
        if (task.image_root) {
          shared_.images_pushed++;
          progress_.images_done++;
          spdlog::info("pushed {} ({}) to {}", task.image, task.manifest->descriptor.digest,
                       client_.host());
        }
        return absl::OkStatus();
      }
    }
    return absl::InternalError("unknown task");
  }

  RegistryClient& client_;
  const bundle::OciLayout& layout_;
  PushPlan& plan_;
  ProgressCounters& progress_;
  Shared& shared_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::priority_queue<Entry> ready_;
  int in_flight_ = 0;
  absl::Status failure_;
};

}  // namespace

absl::StatusOr<PushSummary> PushBundle(RegistryClient& client, const bundle::OciLayout& layout,
                                       const PushOptions& options) {
  PushSummary summary;
  absl::Status status = PushBundleInto(client, layout, options, summary);
  if (!status.ok()) return status;
  return summary;
}

absl::Status PushBundleInto(RegistryClient& client, const bundle::OciLayout& layout,
                            const PushOptions& options, PushSummary& summary) {
  const auto start = std::chrono::steady_clock::now();
  const auto& images = layout.images();
  std::vector<std::unique_ptr<HttpSession>> sessions;
  for (int i = 0; i < std::max(1, options.parallel); ++i) sessions.push_back(client.NewSession());

  summary = PushSummary();
  summary.images = static_cast<int>(images.size());
  // Phase 1: one HEAD per image; unchanged images need no further request.
  enum class State { kPush, kPresent, kTagOnly };
  std::vector<State> states(images.size(), State::kPush);
  absl::Status checked = ForEachParallel(sessions, images.size(), [&](HttpSession& s, size_t i) {
    const bundle::Image& image = images[i];
    auto tagged = client.ManifestDigest(s, image.name.repository, image.name.tag);
    if (!tagged.ok()) return tagged.status();
    if (*tagged == image.root.descriptor.digest) {
      states[i] = State::kPresent;
      return absl::OkStatus();
    }
    auto stored = client.ManifestDigest(s, image.name.repository, image.root.descriptor.digest);
    if (!stored.ok()) return stored.status();
    if (stored->has_value()) states[i] = State::kTagOnly;
    return absl::OkStatus();
  });
  if (!checked.ok()) return checked;

  std::vector<ImageWork> work;
  for (size_t i = 0; i < images.size(); ++i) {
    if (states[i] == State::kPresent) {
      summary.images_present++;
      continue;
    }
    if (states[i] == State::kTagOnly) summary.images_retagged++;
    work.push_back({&images[i], states[i] == State::kTagOnly});
  }
  PushPlan plan = BuildPushPlan(work);
  spdlog::info(
      "{} images in the bundle, {} already in {}; to push: {} images, {} unique blobs ({}), "
      "{} mounts, {} manifests, {} connections",
      images.size(), summary.images_present, client.host(), work.size(), plan.uploads,
      HumanBytes(static_cast<double>(plan.upload_bytes)), plan.mounts, plan.manifests,
      sessions.size());

  ProgressCounters own_progress;
  ProgressCounters& progress = options.counters ? *options.counters : own_progress;
  progress.total_bytes = plan.upload_bytes;
  progress.images_total = summary.images;
  progress.images_done = summary.images_present;
  Shared shared;
  absl::Status pushed;
  {
    std::unique_ptr<ProgressReporter> reporter;
    if (options.progress && options.counters == nullptr && !plan.tasks.empty()) {
      reporter = std::make_unique<ProgressReporter>(
          progress, options.tty,
          options.tty ? std::chrono::milliseconds(500) : options.progress_interval);
    }
    Executor executor(client, layout, plan, progress, shared);
    pushed = executor.Run(sessions);
  }
  summary.images_pushed = shared.images_pushed;
  summary.blobs_uploaded = shared.uploaded;
  summary.blobs_mounted = shared.mounted;
  summary.blobs_present = shared.present;
  summary.manifests_pushed = shared.manifests;
  summary.bytes_uploaded = shared.bytes;
  summary.bytes_resent = client.counters().resent_bytes;
  summary.requests = client.counters().requests;
  summary.bytes_sent = client.counters().sent_bytes;
  summary.bytes_resumed = client.counters().resumed_bytes;
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!pushed.ok()) {
    spdlog::info("{}: stopped after {}", client.host(), FormatSummary(summary));
    return pushed;
  }
  return absl::OkStatus();
}

std::vector<TargetResult> PushBundleToAll(const std::vector<RegistryClient*>& clients,
                                          const bundle::OciLayout& layout,
                                          const PushOptions& options) {
  std::vector<TargetResult> results;
  for (RegistryClient* client : clients) {
    results.push_back({client->host(), absl::UnknownError("not run"), {}});
  }
  if (clients.size() == 1) {
    results[0].status = PushBundleInto(*clients[0], layout, options, results[0].summary);
    return results;
  }
  std::vector<ProgressCounters> counters(clients.size());
  std::vector<LabeledCounters> labeled;
  for (size_t i = 0; i < clients.size(); ++i) labeled.push_back({clients[i]->host(), &counters[i]});
  std::unique_ptr<ProgressReporter> reporter;
  if (options.progress) {
    reporter = std::make_unique<ProgressReporter>(
        std::move(labeled), options.tty,
        options.tty ? std::chrono::milliseconds(500) : options.progress_interval);
  }
  {
    std::vector<std::jthread> targets;
    for (size_t i = 0; i < clients.size(); ++i) {
      targets.emplace_back([&, i] {
        PushOptions own = options;
        own.counters = &counters[i];
        results[i].status = PushBundleInto(*clients[i], layout, own, results[i].summary);
      });
    }
  }
  return results;
}

std::string FormatSummary(const PushSummary& s) {
  const double rate = s.seconds > 0 ? static_cast<double>(s.bytes_uploaded) / s.seconds : 0;
  return fmt::format(
      "{} images: {} pushed, {} already present ({} only re-tagged); blobs: {} uploaded ({}), "
      "{} mounted, {} already present; {} manifests; {} sent ({} bytes), {} re-sent after "
      "errors, {} resumed from an interrupted upload; {} requests; {:.1f} s ({}/s)",
      s.images, s.images_pushed, s.images_present, s.images_retagged, s.blobs_uploaded,
      HumanBytes(static_cast<double>(s.bytes_uploaded)), s.blobs_mounted, s.blobs_present,
      s.manifests_pushed, HumanBytes(static_cast<double>(s.bytes_sent)), s.bytes_sent,
      HumanBytes(static_cast<double>(s.bytes_resent)),
      HumanBytes(static_cast<double>(s.bytes_resumed)), s.requests, s.seconds, HumanBytes(rate));
}

}  // namespace registry
