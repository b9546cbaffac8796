// Lends the live replicator's watch on the source to one observer (etcd-sync-monitor), so
// that the leader's monitor sees every source change without a watch of its own: a second
// watch makes the source encode, and the link between the sites carry, every change twice.
//
// Threads: Open, Deliver and Close are called by the replicator's watch reader, in stream
// order. Attach may be called from any thread. The observer's callbacks run on the reader's
// thread with the tap's lock held: they must be quick, must not block on the network and
// must not call back into the tap. Attach(nullptr) returns only once no callback is running,
// so the observer may then be destroyed.
#pragma once

#include <cstdint>
#include <mutex>

#include "etcd/client.h"

namespace etcdsync {

class WatchTap {
 public:
  class Observer {
   public:
    virtual ~Observer() = default;
    // The stream now delivers every source change from `start_revision` on, in order.
    virtual void TapOpened(int64_t start_revision) = 0;
    // One response as the source sent it (events, or a progress notice with none).
    virtual void TapDelivered(const etcd::pb::WatchResponse& response) = 0;
    // The stream ended (replicator stopped, failed or lost leadership): nothing more comes
    // until the next TapOpened.
    virtual void TapClosed() = 0;
  };

  // Replaces the observer; nullptr detaches. An observer attached while a stream is open
  // missed its start: it is told from the next TapOpened on.
  void Attach(Observer* observer);

  void Open(int64_t start_revision);
  void Deliver(const etcd::pb::WatchResponse& response);
  void Close();

 private:
  std::mutex mutex_;
  Observer* observer_ = nullptr;
  bool told_open_ = false;  // observer_ has had TapOpened for the stream now open
};

}  // namespace etcdsync
