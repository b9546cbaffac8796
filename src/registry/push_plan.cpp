#include "registry/push_plan.h"

#include <map>
#include <set>
#include <utility>

namespace registry {
namespace {

class Builder {
 public:
  PushPlan Build(const std::vector<ImageWork>& work) {
    for (const ImageWork& item : work) {
      const bundle::Image& image = *item.image;
      image_index_ = static_cast<int>(&item - work.data());
      const std::string name = image.name.ToString();
      std::vector<size_t> deps;
      if (!item.tag_only) deps = Node(image.root, image.name.repository, name, false);
      PlanTask tag_task = Task(PlanTask::Kind::kManifest, image.name.repository, name);
      tag_task.manifest = &image.root;
      tag_task.reference = image.name.tag;
      tag_task.image_root = true;
      const size_t tag = Add(std::move(tag_task));
      Depend(tag, deps);
    }
    return std::move(plan_);
  }

 private:
  PlanTask Task(PlanTask::Kind kind, const std::string& repository, const std::string& image) {
    PlanTask task;
    task.kind = kind;
    task.repository = repository;
    task.image = image;
    task.image_index = image_index_;
    return task;
  }

  size_t Add(PlanTask task) {
    switch (task.kind) {
      case PlanTask::Kind::kUpload:
        plan_.uploads++;
        plan_.upload_bytes += task.blob.size;
        break;
      case PlanTask::Kind::kMount:
        plan_.mounts++;
        break;
      case PlanTask::Kind::kManifest:
        plan_.manifests++;
        break;
    }
    plan_.tasks.push_back(std::move(task));
    return plan_.tasks.size() - 1;
  }

  void Depend(size_t task, const std::vector<size_t>& on) {
    std::set<size_t> unique(on.begin(), on.end());
    for (size_t dependency : unique) {
      plan_.tasks[dependency].dependents.push_back(task);
      plan_.tasks[task].dependencies++;
    }
  }

  size_t Blob(const bundle::Descriptor& blob, const std::string& repository,
              const std::string& image) {
    const auto key = std::make_pair(repository, blob.digest);
    if (auto found = in_repository_.find(key); found != in_repository_.end()) {
      return found->second;
    }
    size_t task;
    if (auto owner = owner_.find(blob.digest); owner == owner_.end()) {
      PlanTask upload = Task(PlanTask::Kind::kUpload, repository, image);
      upload.blob = blob;
      task = Add(std::move(upload));
      owner_[blob.digest] = task;
    } else {
      PlanTask mount = Task(PlanTask::Kind::kMount, repository, image);
      mount.blob = blob;
      mount.from = plan_.tasks[owner->second].repository;
      task = Add(std::move(mount));
      Depend(task, {owner->second});
    }
    in_repository_[key] = task;
    return task;
  }

  // Tasks that must finish before `node` may be referenced by its parent (or its tag).
  std::vector<size_t> Node(const bundle::ManifestNode& node, const std::string& repository,
                           const std::string& image, bool by_digest) {
    // A manifest shared by several indexes (the layout is a DAG) is planned once per
    // repository: looked up before its children are walked again.
    const auto key = std::make_pair(repository, node.descriptor.digest);
    if (by_digest) {
      if (auto found = manifests_.find(key); found != manifests_.end()) return {found->second};
    }
    std::vector<size_t> deps;
    if (node.is_index()) {
      for (const auto& child : node.children) {
        auto child_deps = Node(*child, repository, image, true);
        deps.insert(deps.end(), child_deps.begin(), child_deps.end());
      }
    } else {
      for (const bundle::Descriptor& blob : node.blobs)
        deps.push_back(Blob(blob, repository, image));
    }
    if (!by_digest) return deps;  // the root goes up by tag, which stores the digest too
    PlanTask manifest = Task(PlanTask::Kind::kManifest, repository, image);
    manifest.manifest = &node;
    manifest.reference = node.descriptor.digest;
    const size_t task = Add(std::move(manifest));
    Depend(task, deps);
    manifests_[key] = task;
    return {task};
  }

  PushPlan plan_;
  int image_index_ = 0;
  std::map<std::string, size_t> owner_;
  std::map<std::pair<std::string, std::string>, size_t> in_repository_;
  std::map<std::pair<std::string, std::string>, size_t> manifests_;
};

}  // namespace

PushPlan BuildPushPlan(const std::vector<ImageWork>& work) { return Builder().Build(work); }

std::tuple<int, int, int64_t> TaskPriority(const PlanTask& task) {
  switch (task.kind) {
    case PlanTask::Kind::kManifest:
      return {3, -task.image_index, 0};
    case PlanTask::Kind::kMount:
      return {2, -task.image_index, 0};
    default:
      return {1, -task.image_index, task.blob.size};
  }
}

}  // namespace registry
