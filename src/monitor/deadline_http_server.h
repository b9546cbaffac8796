// An httplib::Server with a fixed pool of worker threads in which every request (request
// line, headers, body) must arrive within a deadline, so that clients trickling bytes, or
// never finishing their headers, cannot hold the workers that /healthz needs.
#pragma once

#include <httplib.h>

#include <chrono>
#include <cstddef>

namespace monitor {

class DeadlineHttpServer : public httplib::Server {
 public:
  DeadlineHttpServer(size_t worker_threads, std::chrono::milliseconds request_deadline);

 private:
  // Replaces httplib's per-connection loop (keep-alive, per-read timeouts only) with one
  // whose reads give up at the request's deadline.
  bool process_and_close_socket(socket_t sock) override;

  std::chrono::milliseconds request_deadline_;
};

}  // namespace monitor
