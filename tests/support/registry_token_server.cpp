#include "support/registry_token_server.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <stdexcept>

#include "common/base64.h"
#include "support/etcd_member.h"

namespace testing_support {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Base64Url(std::string_view bytes) {
  std::string text = common::EncodeBase64(bytes);
  for (char& c : text) c = c == '+' ? '-' : (c == '/' ? '_' : c);
  while (!text.empty() && text.back() == '=') text.pop_back();
  return text;
}

// "repository:team/app:pull,push" -> {"type":"repository","name":"team/app","actions":[...]}
nlohmann::json Access(const std::string& scope) {
  const size_t first = scope.find(':'), last = scope.rfind(':');
  if (first == std::string::npos || first == last) return nullptr;
  nlohmann::json actions = nlohmann::json::array();
  std::stringstream list(scope.substr(last + 1));
  for (std::string action; std::getline(list, action, ',');) actions.push_back(action);
  return {{"type", scope.substr(0, first)},
          {"name", scope.substr(first + 1, last - first - 1)},
          {"actions", actions}};
}

}  // namespace

RegistryTokenServer::RegistryTokenServer(const std::string& dir, std::string username,
                                         std::string password)
    : username_(std::move(username)), password_(std::move(password)) {
  const std::string key_file = dir + "/token.key";
  cert_file_ = dir + "/token.crt";
  RunScript(
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-token-issuer "
      "-keyout '" +
      key_file + "' -out '" + cert_file_ + "' 2>&1");
  key_pem_ = ReadAll(key_file);
  FILE* cert_in = std::fopen(cert_file_.c_str(), "r");
  if (cert_in == nullptr) throw std::runtime_error("cannot read " + cert_file_);
  X509* cert = PEM_read_X509(cert_in, nullptr, nullptr, nullptr);
  std::fclose(cert_in);
  if (cert == nullptr) throw std::runtime_error("not a PEM certificate: " + cert_file_);
  unsigned char* der = nullptr;
  const int length = i2d_X509(cert, &der);
  cert_der_.assign(reinterpret_cast<char*>(der), length);
  OPENSSL_free(der);
  X509_free(cert);

  server_.Get("/token", [this](const httplib::Request& request, httplib::Response& response) {
    Serve(request, response);
  });
  server_.Post("/token", [this](const httplib::Request& request, httplib::Response& response) {
    ServeRefresh(request, response);
  });
  port_ = server_.bind_to_any_port("127.0.0.1");
  if (port_ <= 0) throw std::runtime_error("token server: cannot bind 127.0.0.1");
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

RegistryTokenServer::~RegistryTokenServer() {
  server_.stop();
  if (thread_.joinable()) thread_.join();
}

std::vector<std::string> RegistryTokenServer::scopes() const {
  std::lock_guard lock(mutex_);
  return scopes_;
}

void RegistryTokenServer::Serve(const httplib::Request& request, httplib::Response& response) {
  const std::string expected = "Basic " + common::EncodeBase64(username_ + ":" + password_);
  if (request.get_header_value("Authorization") != expected ||
      request.get_param_value("service") != kService) {
    ++refusals_;
    response.status = 401;
    response.set_content(R"({"details":"incorrect username or password"})", "application/json");
    return;
  }
  std::vector<std::string> scopes;
  for (size_t i = 0; i < request.get_param_value_count("scope"); ++i) {
    scopes.push_back(request.get_param_value("scope", i));
  }
  {
    std::lock_guard lock(mutex_);
    scopes_.insert(scopes_.end(), scopes.begin(), scopes.end());
  }
  ++tokens_issued_;
  const std::string token = SignedToken(username_, scopes);
  response.set_content(nlohmann::json{{"token", token}, {"expires_in", 300}}.dump(),
                       "application/json");
}

void RegistryTokenServer::AcceptRefreshToken(std::string token) {
  std::lock_guard lock(mutex_);
  refresh_token_ = std::move(token);
}

// The OAuth2 refresh-token grant (docker's flow for an identity token): a form body.
void RegistryTokenServer::ServeRefresh(const httplib::Request& request,
                                       httplib::Response& response) {
  httplib::Params form;
  httplib::detail::parse_query_text(request.body, form);
  const auto field = [&](const std::string& name) {
    auto found = form.find(name);
    return found == form.end() ? std::string() : found->second;
  };
  std::string expected;
  {
    std::lock_guard lock(mutex_);
    expected = refresh_token_;
  }
  if (field("grant_type") != "refresh_token" || field("service") != kService || expected.empty() ||
      field("refresh_token") != expected || !request.get_header_value("Authorization").empty()) {
    ++refusals_;
    response.status = 400;
    response.set_content(R"({"error":"invalid_grant"})", "application/json");
    return;
  }
  std::vector<std::string> scopes;
  for (auto [it, end] = form.equal_range("scope"); it != end; ++it) {
    for (size_t start = 0; start < it->second.size();) {  // space-separated, as OAuth2 allows
      size_t stop = it->second.find(' ', start);
      if (stop == std::string::npos) stop = it->second.size();
      if (stop > start) scopes.push_back(it->second.substr(start, stop - start));
      start = stop + 1;
    }
  }
  {
    std::lock_guard lock(mutex_);
    scopes_.insert(scopes_.end(), scopes.begin(), scopes.end());
  }
  ++tokens_issued_;
  ++refresh_grants_;
  response.set_content(
      nlohmann::json{{"access_token", SignedToken(username_, scopes)}, {"expires_in", 300}}.dump(),
      "application/json");
}

std::string RegistryTokenServer::SignedToken(const std::string& subject,
                                             const std::vector<std::string>& scopes) {
  const long now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  nlohmann::json access = nlohmann::json::array();
  for (const std::string& scope : scopes) {
    if (nlohmann::json entry = Access(scope); !entry.is_null()) access.push_back(entry);
  }
  static thread_local std::mt19937_64 random(std::random_device{}());
  const nlohmann::json header = {
      {"alg", "RS256"}, {"typ", "JWT"}, {"x5c", {common::EncodeBase64(cert_der_)}}};
  const nlohmann::json claims = {{"iss", kIssuer},
                                 {"sub", subject},
                                 {"aud", kService},
                                 {"exp", now + 300},
                                 {"nbf", now - 10},
                                 {"iat", now},
                                 {"jti", std::to_string(random())},
                                 {"access", access}};
  const std::string signing_input = Base64Url(header.dump()) + "." + Base64Url(claims.dump());

  BIO* bio = BIO_new_mem_buf(key_pem_.data(), static_cast<int>(key_pem_.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  size_t length = 0;
  std::string signature;
  if (key != nullptr && EVP_DigestSignInit(context, nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestSignUpdate(context, signing_input.data(), signing_input.size()) == 1 &&
      EVP_DigestSignFinal(context, nullptr, &length) == 1) {
    signature.resize(length);
    if (EVP_DigestSignFinal(context, reinterpret_cast<unsigned char*>(signature.data()), &length) ==
        1) {
      signature.resize(length);
    } else {
      signature.clear();
    }
  }
  EVP_MD_CTX_free(context);
  EVP_PKEY_free(key);
  if (signature.empty()) throw std::runtime_error("token server: signing failed");
  return signing_input + "." + Base64Url(signature);
}

}  // namespace testing_support
