#include "registry/pusher.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <queue>
#include <set>
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

// Where an executor finds a blob's bytes. Streamed: an upload waits until the blob arrives
// (Arrived), and every upload or mount task tells `release` when it is done with the bytes.
struct BlobAccess {
  std::function<bundle::BlobLocation(const std::string& digest)> locate;
  std::function<void(const std::string& digest)> release;  // set: streamed
};

class Executor {
 public:
  Executor(RegistryClient& client, BlobAccess access, PushPlan& plan, ProgressCounters& progress,
           Shared& shared)
      : client_(client),
        access_(std::move(access)),
        plan_(plan),
        progress_(progress),
        shared_(shared),
        released_(plan.tasks.size(), false) {
    if (streamed()) {
      for (size_t i = 0; i < plan_.tasks.size(); ++i) {
        if (plan_.tasks[i].kind != PlanTask::Kind::kUpload) continue;
        plan_.tasks[i].dependencies++;
        awaiting_++;
        waiting_[plan_.tasks[i].blob.digest].push_back(i);
      }
    }
    // Here, not in Run: a streamed blob may arrive (Arrived) before Run starts.
    for (size_t i = 0; i < plan_.tasks.size(); ++i) {
      if (plan_.tasks[i].dependencies == 0) ready_.push({Priority(i), i});
    }
  }

  absl::Status Run(std::vector<std::unique_ptr<HttpSession>>& sessions) {
    {
      std::vector<std::jthread> workers;
      for (auto& session : sessions) {
        workers.emplace_back([this, s = session.get()] { Work(*s); });
      }
    }
    // Whatever did not run (a failure stopped it) lets go of its blob.
    if (streamed()) {
      for (size_t i = 0; i < plan_.tasks.size(); ++i) Release(i);
    }
    return failure_;
  }

  // Streamed: the blob is spooled; its uploads may start.
  void Arrived(const std::string& digest) {
    std::lock_guard lock(mutex_);
    auto found = waiting_.find(digest);
    if (found == waiting_.end()) return;
    for (size_t index : found->second) {
      awaiting_--;
      if (--plan_.tasks[index].dependencies == 0) ready_.push({Priority(index), index});
    }
    waiting_.erase(found);
    wake_.notify_all();
  }

  // Streamed: the stream ended or failed. Uploads still waiting fail with `missing` (when
  // set) or with `status`.
  void StreamEnded(const absl::Status& status) {
    std::lock_guard lock(mutex_);
    if (failure_.ok() && !status.ok()) failure_ = status;
    if (failure_.ok() && awaiting_ > 0) {
      const PlanTask& task = plan_.tasks[waiting_.begin()->second.front()];
      failure_ = absl::FailedPreconditionError(
          fmt::format("bundle corrupt: image {} blob {} is missing from the archive — re-extract "
                      "the bundle",
                      task.image, task.blob.digest));
    }
    wake_.notify_all();
  }

 private:
  using Entry = std::pair<std::tuple<int, int, int64_t>, size_t>;

  bool streamed() const { return static_cast<bool>(access_.release); }

  // Once per upload or mount task (its worker, or Run's end for what never ran).
  void Release(size_t index) {
    const PlanTask& task = plan_.tasks[index];
    if (task.kind == PlanTask::Kind::kManifest) return;
    {
      std::lock_guard lock(release_mutex_);
      if (released_[index]) return;
      released_[index] = true;
    }
    access_.release(task.blob.digest);
  }

  std::tuple<int, int, int64_t> Priority(size_t index) const {
    return TaskPriority(plan_.tasks[index]);
  }

  void Work(HttpSession& session) {
    std::unique_lock lock(mutex_);
    while (true) {
      wake_.wait(lock, [&] {
        return !failure_.ok() || !ready_.empty() || (in_flight_ == 0 && awaiting_ == 0);
      });
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
      if (streamed()) Release(index);
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
        client_.UploadBlob(session, task.repository, task.blob, access_.locate(task.blob.digest),
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
  BlobAccess access_;
  PushPlan& plan_;
  ProgressCounters& progress_;
  Shared& shared_;
  std::mutex release_mutex_;
  std::vector<bool> released_;
  std::map<std::string, std::vector<size_t>> waiting_;  // streamed uploads by blob
  int64_t awaiting_ = 0;
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

namespace {

// One target's push: the HEAD checks and the plan (Prepare), then the plan run (Run).
class TargetPush {
 public:
  TargetPush(RegistryClient& client, const PushOptions& options, PushSummary& summary)
      : client_(client), options_(options), summary_(summary) {
    for (int i = 0; i < std::max(1, options.parallel); ++i) {
      sessions_.push_back(client.NewSession());
    }
  }

  const PushPlan& plan() const { return plan_; }

  absl::Status Prepare(const std::vector<bundle::Image>& images) {
    summary_ = PushSummary();
    summary_.images = static_cast<int>(images.size());
    // Phase 1: one HEAD per image; unchanged images need no further request.
    enum class State { kPush, kPresent, kTagOnly };
    std::vector<State> states(images.size(), State::kPush);
    absl::Status checked = ForEachParallel(sessions_, images.size(), [&](HttpSession& s, size_t i) {
      const bundle::Image& image = images[i];
      auto tagged = client_.ManifestDigest(s, image.name.repository, image.name.tag);
      if (!tagged.ok()) return tagged.status();
      if (*tagged == image.root.descriptor.digest) {
        states[i] = State::kPresent;
        return absl::OkStatus();
      }
      auto stored = client_.ManifestDigest(s, image.name.repository, image.root.descriptor.digest);
      if (!stored.ok()) return stored.status();
      if (stored->has_value()) states[i] = State::kTagOnly;
      return absl::OkStatus();
    });
    if (!checked.ok()) return Finish(checked);

    std::vector<ImageWork> work;
    for (size_t i = 0; i < images.size(); ++i) {
      if (states[i] == State::kPresent) {
        summary_.images_present++;
        continue;
      }
      if (states[i] == State::kTagOnly) summary_.images_retagged++;
      work.push_back({&images[i], states[i] == State::kTagOnly});
    }
    plan_ = BuildPushPlan(work);
    spdlog::info(
        "{} images in the bundle, {} already in {}; to push: {} images, {} unique blobs ({}), "
        "{} mounts, {} manifests, {} connections",
        images.size(), summary_.images_present, client_.host(), work.size(), plan_.uploads,
        HumanBytes(static_cast<double>(plan_.upload_bytes)), plan_.mounts, plan_.manifests,
        sessions_.size());
    progress_ = options_.counters ? options_.counters : &own_progress_;
    progress_->total_bytes = plan_.upload_bytes;
    progress_->images_total = summary_.images;
    progress_->images_done = summary_.images_present;
    return absl::OkStatus();
  }

  // Before Run: the executor exists from here (a stream may call it while Run goes).
  Executor& NewExecutor(BlobAccess access) {
    executor_ = std::make_unique<Executor>(client_, std::move(access), plan_, *progress_, shared_);
    return *executor_;
  }
  Executor* executor() { return executor_.get(); }

  absl::Status Run() {
    absl::Status pushed;
    {
      std::unique_ptr<ProgressReporter> reporter;
      if (options_.progress && options_.counters == nullptr && !plan_.tasks.empty()) {
        reporter = std::make_unique<ProgressReporter>(
            *progress_, options_.tty,
            options_.tty ? std::chrono::milliseconds(500) : options_.progress_interval);
      }
      pushed = executor_->Run(sessions_);
    }
    return Finish(pushed);
  }

 private:
  absl::Status Finish(const absl::Status& pushed) {
    summary_.images_pushed = shared_.images_pushed;
    summary_.blobs_uploaded = shared_.uploaded;
    summary_.blobs_mounted = shared_.mounted;
    summary_.blobs_present = shared_.present;
    summary_.manifests_pushed = shared_.manifests;
    summary_.bytes_uploaded = shared_.bytes;
    summary_.bytes_resent = client_.counters().resent_bytes;
    summary_.requests = client_.counters().requests;
    summary_.bytes_sent = client_.counters().sent_bytes;
    summary_.bytes_resumed = client_.counters().resumed_bytes;
    summary_.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    if (!pushed.ok()) {
      spdlog::info("{}: stopped after {}", client_.host(), FormatSummary(summary_));
    }
    return pushed;
  }

  RegistryClient& client_;
  const PushOptions& options_;
  PushSummary& summary_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<HttpSession>> sessions_;
  PushPlan plan_;
  ProgressCounters own_progress_;
  ProgressCounters* progress_ = &own_progress_;
  Shared shared_;
  std::unique_ptr<Executor> executor_;
};

// The blobs a streamed push holds on disk: how many tasks (all targets) still need each, and
// the spool's room. The stream spools a blob only when it fits beside those in use (at most
// the largest blob in all), so decompression runs ahead of the uploads while small blobs fit.
class SpoolBoard {
 public:
  void Need(const std::string& digest, int64_t size) {
    refs_[digest]++;
    to_come_.insert(digest);
    budget_ = std::max(budget_, size);
  }
  int64_t budget() const { return budget_; }

  // Blocks until the blob fits; false when no task needs it (any more).
  // Nothing needed is still to come: the rest of the archive need not be read.
  bool Done() {
    std::lock_guard lock(mutex_);
    return to_come_.empty();
  }

  bool Reserve(const std::string& digest, int64_t size) {
    std::unique_lock lock(mutex_);
    to_come_.erase(digest);
    room_.wait(lock,
               [&] { return Refs(digest) == 0 || in_use_ == 0 || in_use_ + size <= budget_; });
    if (Refs(digest) == 0) return false;
    in_use_ += size;
    return true;
  }
  void Put(std::shared_ptr<const bundle::SpooledBlob> blob) {
    std::lock_guard lock(mutex_);
    if (Refs(blob->digest) == 0) {
      in_use_ -= blob->size;
      room_.notify_all();
      return;
    }
    held_[blob->digest] = std::move(blob);
  }
  bundle::BlobLocation Locate(const std::string& digest) {
    std::lock_guard lock(mutex_);
    auto found = held_.find(digest);
    // A task runs only after its blob arrived and before it released it.
    return bundle::BlobLocation{found != held_.end() ? found->second->path : "/nonexistent"};
  }
  void Release(const std::string& digest) {
    std::lock_guard lock(mutex_);
    auto found = refs_.find(digest);
    if (found == refs_.end() || found->second == 0) return;
    if (--found->second > 0) return;
    to_come_.erase(digest);
    auto held = held_.find(digest);
    if (held != held_.end()) {
      in_use_ -= held->second->size;
      held_.erase(held);  // the file goes before the next blob may take its room
    }
    room_.notify_all();
  }

 private:
  int Refs(const std::string& digest) const {
    auto found = refs_.find(digest);
    return found == refs_.end() ? 0 : found->second;
  }

  std::mutex mutex_;
  std::condition_variable room_;
  std::map<std::string, int> refs_;
  std::set<std::string> to_come_;  // needed and not spooled yet
  std::map<std::string, std::shared_ptr<const bundle::SpooledBlob>> held_;
  int64_t in_use_ = 0, budget_ = 0;
};

}  // namespace

absl::Status PushBundleInto(RegistryClient& client, const bundle::OciLayout& layout,
                            const PushOptions& options, PushSummary& summary) {
  TargetPush target(client, options, summary);
  absl::Status prepared = target.Prepare(layout.images());
  if (!prepared.ok()) return prepared;
  target.NewExecutor(
      BlobAccess{[&layout](const std::string& digest) { return layout.Locate(digest); }, {}});
  return target.Run();
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

std::vector<TargetResult> PushStreamToAll(const std::vector<RegistryClient*>& clients,
                                          bundle::LayoutStream& stream,
                                          const PushOptions& options) {
  std::vector<TargetResult> results;
  for (RegistryClient* client : clients) {
    results.push_back({client->host(), absl::UnknownError("not run"), {}});
  }
  const auto& images = stream.layout().images();
  std::vector<ProgressCounters> counters(clients.size());
  std::vector<std::unique_ptr<TargetPush>> targets;
  std::vector<PushOptions> own(clients.size(), options);
  for (size_t i = 0; i < clients.size(); ++i) {
    if (clients.size() > 1) own[i].counters = &counters[i];
    targets.push_back(std::make_unique<TargetPush>(*clients[i], own[i], results[i].summary));
  }
  // Every target's plan first: the stream serves them all, each blob read once.
  {
    std::vector<std::jthread> preparing;
    for (size_t i = 0; i < clients.size(); ++i) {
      preparing.emplace_back([&, i] {
        absl::Status status = targets[i]->Prepare(images);
        if (!status.ok()) results[i].status = status;
      });
    }
  }
  SpoolBoard board;
  std::vector<Executor*> executors;
  std::vector<size_t> running;
  for (size_t i = 0; i < clients.size(); ++i) {
    if (!results[i].status.ok() && results[i].status.code() != absl::StatusCode::kUnknown) continue;
    for (const PlanTask& task : targets[i]->plan().tasks) {
      if (task.kind != PlanTask::Kind::kManifest) board.Need(task.blob.digest, task.blob.size);
    }
    executors.push_back(&targets[i]->NewExecutor(
        BlobAccess{[&board](const std::string& digest) { return board.Locate(digest); },
                   [&board](const std::string& digest) { board.Release(digest); }}));
    running.push_back(i);
  }
  if (!board.Done()) {
    spdlog::info("reading {} in one pass; the spool ({}) holds at most {} at a time",
                 stream.layout().dir(), stream.spool_dir(),
                 HumanBytes(static_cast<double>(board.budget())));
  }
  std::vector<LabeledCounters> labeled;
  for (size_t i = 0; i < clients.size(); ++i) labeled.push_back({clients[i]->host(), &counters[i]});
  std::unique_ptr<ProgressReporter> reporter;
  if (options.progress && clients.size() > 1) {
    reporter = std::make_unique<ProgressReporter>(
        std::move(labeled), options.tty,
        options.tty ? std::chrono::milliseconds(500) : options.progress_interval);
  }
  std::atomic<size_t> finished{0};
  {
    std::vector<std::jthread> pushing;
    for (size_t i : running) {
      pushing.emplace_back([&, i] {
        results[i].status = targets[i]->Run();
        finished++;
      });
    }
    // The one pass: each blob some target still needs is spooled, then offered to all.
    absl::Status ended;
    while (!board.Done()) {
      auto blob = stream.Next([&](const std::string& digest, int64_t size) -> absl::StatusOr<bool> {
        if (finished == running.size() || board.Done()) {
          return absl::CancelledError("nothing more to read");
        }
        return board.Reserve(digest, size);
      });
      if (!blob.ok()) {
        ended = blob.status();
        break;
      }
      if (*blob == nullptr) break;
      const std::string digest = (*blob)->digest;
      board.Put(*std::move(blob));
      for (Executor* executor : executors) executor->Arrived(digest);
    }
    for (Executor* executor : executors) {
      executor->StreamEnded(absl::IsCancelled(ended) ? absl::OkStatus() : ended);
    }
  }
  if (stream.peak_spool_bytes() > 0) {
    spdlog::info("{}: the spool peaked at {} ({} bytes)", stream.layout().dir(),
                 HumanBytes(static_cast<double>(stream.peak_spool_bytes())),
                 stream.peak_spool_bytes());
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
