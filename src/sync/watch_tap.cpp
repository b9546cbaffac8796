#include "sync/watch_tap.h"

namespace etcdsync {

void WatchTap::Attach(Observer* observer) {
  std::lock_guard lock(mutex_);
  observer_ = observer;
  told_open_ = false;
}

void WatchTap::Open(int64_t start_revision) {
  std::lock_guard lock(mutex_);
  if (observer_ == nullptr) return;
  observer_->TapOpened(start_revision);
  told_open_ = true;
}

void WatchTap::Deliver(const etcd::pb::WatchResponse& response) {
  std::lock_guard lock(mutex_);
  if (observer_ != nullptr && told_open_) observer_->TapDelivered(response);
}

void WatchTap::Close() {
  std::lock_guard lock(mutex_);
  if (observer_ != nullptr && told_open_) observer_->TapClosed();
  told_open_ = false;
}

}  // namespace etcdsync
