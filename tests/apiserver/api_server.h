// TEST STAND-IN for kube-apiserver, not a product: serves the subset of the Kubernetes REST
// API our tools use (get, list by label, create, update, merge-patch, delete, /status) on
// 127.0.0.1, storing JSON objects in a real etcd under kube-apiserver's keys.
#pragma once

#include <httplib.h>

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "apiserver/etcd_store.h"
#include "apiserver/openapi.h"
#include "apiserver/served_resource.h"
#include "apiserver/status_body.h"
#include "common/secret.h"

namespace apiserver {

struct ApiServerOptions {
  ResourceTable resources;
  common::Secret token;  // every request must carry "Authorization: Bearer <token>"
  // When set, "Authorization: Basic <user:password>" is accepted too (the platform's local
  // users, violet --platform-username/--platform-password); wrong ones get 401.
  std::string basic_username;
  common::Secret basic_password;
  int port = 0;  // 0: a free port
  // HTTPS with mutual TLS from scripts/gen-test-certs.sh's files (server.crt/key, clients
  // verified against ca.crt); a verified client certificate authenticates without a token.
  std::string certs_dir;
  // With certs_dir: HTTPS that asks for no client certificate, so only the token (or basic
  // user) authenticates; kubectl with a kubeconfig token connects this way.
  bool tls_token_only = false;
  // The platform's per-cluster proxy: /kubernetes/<cluster>/<api path> is served from that
  // cluster's etcd (violet --clusters, --platform-address). Paths without the prefix use
  // the etcd given to the constructor, as "global" does when it is not listed here.
  std::map<std::string, etcd::Client*> platform_clusters;
};

class ApiServer {
 public:
  ApiServer(etcd::Client& etcd, ApiServerOptions options);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  absl::Status Start();  // binds 127.0.0.1 and serves on a thread
  void Stop();
  int port() const { return port_; }
  std::string url() const {
    return (options_.certs_dir.empty() ? "http://127.0.0.1:" : "https://127.0.0.1:") +
           std::to_string(port_);
  }

 private:
  struct Target;
  struct Reply {
    int code = 200;
    nlohmann::json body;
  };
  void Handle(const std::string& method, const httplib::Request& request,
              httplib::Response& response);
  Reply Route(const std::string& method, const httplib::Request& request, const std::string& path,
              EtcdStore& store);
  Reply Read(const Target& target);
  Reply List(const httplib::Request& request, const Target& target);
  Reply Create(const std::string& body, const Target& target);
  Reply Write(const std::string& method, const httplib::Request& request, const Target& target);
  Reply Remove(const Target& target);
  // ?watch=true: streams WatchEvent JSON lines from an etcd watch of the collection.
  void Watch(const httplib::Request& request, httplib::Response& response, const std::string& path,
             EtcdStore& store);
  // The store a path is served from (the /kubernetes/<cluster> prefix picks a cluster's),
  // the path without that prefix; null store when the cluster is unknown.
  std::pair<EtcdStore*, std::string> StoreFor(const std::string& path);
  // false: not a resource path this server serves.
  bool Resolve(const std::string& api_path, EtcdStore& store, Target& target) const;
  bool Authorized(const httplib::Request& request) const;

  EtcdStore store_;
  std::map<std::string, std::unique_ptr<EtcdStore>> cluster_stores_;
  ApiServerOptions options_;
  OpenApiDocuments openapi_;  // built once from options_.resources
  std::unique_ptr<httplib::Server> server_;
  std::mutex watches_mutex_;
  std::condition_variable watches_changed_;
  bool stopping_ = false;
  int active_watches_ = 0;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace apiserver
