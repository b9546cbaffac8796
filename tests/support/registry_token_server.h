// TEST STAND-IN for a registry's token service (the Docker token flow docker-registry trusts
// with `auth.token`): checks Basic credentials and issues RS256 JWTs with an x5c chain for
// the scopes asked, on 127.0.0.1. Not a product; it counts what it was asked.
#pragma once

#include <httplib.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace testing_support {

class RegistryTokenServer {
 public:
  static constexpr const char* kService = "test-registry";
  static constexpr const char* kIssuer = "test-token-issuer";

  // Makes a key and a self-signed certificate in `dir` (token.key, token.crt) and serves.
  RegistryTokenServer(const std::string& dir, std::string username, std::string password);
  ~RegistryTokenServer();

  std::string realm() const { return "http://127.0.0.1:" + std::to_string(port_) + "/token"; }
  const std::string& cert_file() const { return cert_file_; }
  int tokens_issued() const { return tokens_issued_; }
  int refusals() const { return refusals_; }
  std::vector<std::string> scopes() const;  // every scope asked for, in order
  // Also issue tokens to a POST grant_type=refresh_token with this refresh token (docker's
  // identity-token flow); refresh_grants() counts them.
  void AcceptRefreshToken(std::string token);
  int refresh_grants() const { return refresh_grants_; }

 private:
  void Serve(const httplib::Request& request, httplib::Response& response);
  void ServeRefresh(const httplib::Request& request, httplib::Response& response);
  std::string SignedToken(const std::string& subject, const std::vector<std::string>& scopes);

  std::string username_, password_, key_pem_, cert_der_, cert_file_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> tokens_issued_{0}, refusals_{0}, refresh_grants_{0};
  std::string refresh_token_;  // guarded by mutex_
  mutable std::mutex mutex_;
  std::vector<std::string> scopes_;
};

}  // namespace testing_support
