// `ac console`'s HTTP server on 127.0.0.1 with curl as the client: the token (401 without it,
// the cookie and redirect with it, Bearer), the security headers, JSON-only POSTs, the body
// limit, a cluster that cannot be reached as one line, HTTPS with --tls-cert-file, and the
// monitor's bearer token (--monitor-token-file) sent to its /check.
#include "console/console_server.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <array>
#include <cstdio>
#include <string>
#include <thread>

#include "dr/dr_context.h"
#include "support/temp_dir.h"

namespace console {
namespace {

struct Curl {
  int status = 0;
  std::string output;  // headers and body
};

// `curl -s -i <args>`, with the status of the last answer.
Curl RunCurl(const std::string& args) {
  Curl result;
  FILE* pipe = popen(("curl -s -i --max-time 10 " + args + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    result.output.append(buffer.data(), n);
  pclose(pipe);
  size_t at = result.output.rfind("HTTP/1.1 ");
  if (at != std::string::npos) result.status = std::stoi(result.output.substr(at + 9, 3));
  return result;
}

class ConsoleServerTest : public ::testing::Test {
 protected:
  void Start(ConsoleOptions options = {}) {
    options.host = "127.0.0.1";
    options.port = 0;
    options.token = common::Secret(std::string(64, 'a'));
    options.global.server = "http://127.0.0.1:1";  // nothing listens there
    options.global.source = "test";
    auto started = ConsoleServer::Start(std::move(options));
    ASSERT_TRUE(started.ok()) << started.status();
    server_ = *std::move(started);
    base_ = server_->Url().substr(0, server_->Url().find("/?"));
  }
  std::string Bearer() const { return "-H 'Authorization: Bearer " + std::string(64, 'a') + "' "; }

  std::unique_ptr<ConsoleServer> server_;
  std::string base_;
};

TEST_F(ConsoleServerTest, EveryPathNeedsTheToken) {
  Start();
  for (const char* path : {"/", "/assets/app.js", "/api/clusters", "/api/dr", "/nope"}) {
    EXPECT_EQ(RunCurl(base_ + path).status, 401) << path;
    EXPECT_EQ(RunCurl("-H 'Authorization: Bearer wrong' " + base_ + path).status, 401) << path;
  }
  EXPECT_EQ(RunCurl("-X POST -H 'Content-Type: application/json' -d '{}' " + base_ +
                    "/api/clusters/global/components")
                .status,
            401);
  Curl denied = RunCurl(base_ + "/?token=" + std::string(64, 'b'));
  EXPECT_EQ(denied.status, 401);
  EXPECT_EQ(denied.output.find("Set-Cookie"), std::string::npos);
}

TEST_F(ConsoleServerTest, TheTokenInTheAddressBecomesACookie) {
  Start();
  Curl opened = RunCurl("'" + server_->Url() + "'");
  EXPECT_EQ(opened.status, 303) << opened.output;
  EXPECT_NE(opened.output.find("Set-Cookie: ac_console_token=" + std::string(64, 'a') +
                               "; Path=/; HttpOnly; SameSite=Strict"),
            std::string::npos)
      << opened.output;
  EXPECT_NE(opened.output.find("Location: /\r\n"), std::string::npos) << opened.output;
  Curl page = RunCurl("--cookie 'ac_console_token=" + std::string(64, 'a') + "' " + base_ + "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.output.find("<title>ac console</title>"), std::string::npos);
  for (const char* header : {"Content-Security-Policy: default-src 'self'", "X-Frame-Options: DENY",
                             "Referrer-Policy: no-referrer", "Cache-Control: no-store"}) {
    EXPECT_NE(page.output.find(header), std::string::npos) << header;
  }
  EXPECT_EQ(RunCurl(Bearer() + base_ + "/assets/uPlot.iife.min.js").status, 200);
  EXPECT_EQ(RunCurl(Bearer() + base_ + "/assets/nope.js").status, 404);
}

TEST_F(ConsoleServerTest, PostsAreJsonAndBounded) {
  Start();
  const std::string url = base_ + "/api/clusters/global/components";
  EXPECT_EQ(RunCurl(Bearer() + "-X POST -d 'targets=x' " + url).status, 415);
  EXPECT_EQ(
      RunCurl(Bearer() + "-X POST -H 'Content-Type: application/json' -d '[1,' " + url).status,
      400);
  Curl big = RunCurl(Bearer() + "-X POST -H 'Content-Type: application/json' --data-binary '" +
                     std::string(70 * 1024, ' ') + "{}' " + url);
  EXPECT_EQ(big.status, 413) << big.output.substr(0, 300);
  Curl bad = RunCurl(Bearer() +
                     "-X POST -H 'Content-Type: application/json' -d '{\"skip\":\"a\"}' " + url);
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.output.find("must be an object of module"), std::string::npos) << bad.output;
}

TEST_F(ConsoleServerTest, AnUnreachableClusterIsOneLine) {
  Start();
  Curl clusters = RunCurl(Bearer() + base_ + "/api/clusters");
  EXPECT_EQ(clusters.status, 502);
  EXPECT_NE(clusters.output.find("cannot reach"), std::string::npos) << clusters.output;
  Curl dr = RunCurl(Bearer() + base_ + "/api/dr");
  EXPECT_EQ(dr.status, 200);
  EXPECT_NE(dr.output.find("--standby-kubeconfig"), std::string::npos) << dr.output;
}

TEST_F(ConsoleServerTest, ServesHttpsWithTheGivenCertificate) {
  testing_support::TempDir dir;
  const std::string cert = dir.File("cert.pem"), key = dir.File("key.pem");
  ASSERT_EQ(std::system(("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
                         "-addext subjectAltName=IP:127.0.0.1 -keyout " +
                         key + " -out " + cert + " >/dev/null 2>&1")
                            .c_str()),
            0);
  ConsoleOptions options;
  options.tls_cert_file = cert;
  options.tls_key_file = key;
  Start(std::move(options));
  ASSERT_EQ(server_->Url().rfind("https://127.0.0.1:", 0), 0u) << server_->Url();
  Curl opened = RunCurl("--cacert " + cert + " '" + server_->Url() + "'");
  EXPECT_EQ(opened.status, 303) << opened.output;
  EXPECT_NE(opened.output.find("SameSite=Strict; Secure"), std::string::npos) << opened.output;
  EXPECT_EQ(RunCurl("--cacert " + cert + " " + base_ + "/").status, 401);

  ConsoleOptions broken;
  broken.tls_cert_file = key;  // not a certificate
  broken.tls_key_file = key;
  broken.token = common::Secret("t");
  auto refused = ConsoleServer::Start(std::move(broken));
  EXPECT_TRUE(absl::IsInvalidArgument(refused.status())) << refused.status();
  ConsoleOptions half;
  half.tls_cert_file = cert;
  half.token = common::Secret("t");
  EXPECT_TRUE(absl::IsInvalidArgument(ConsoleServer::Start(std::move(half)).status()));
}

// A monitor that guards /check with a bearer token, as etcd-sync --monitor-token-file does.
TEST_F(ConsoleServerTest, CheckNowSendsTheMonitorsBearerToken) {
  httplib::Server monitor;
  monitor.Get("/check", [](const httplib::Request& request, httplib::Response& response) {
    if (request.get_header_value("Authorization") != "Bearer monitor-secret") {
      response.status = 401;
      response.set_content("unauthorized\n", "text/plain");
      return;
    }
    response.set_content(R"({"missed":{"count":0},"surplus":{"count":0},"stale":{"count":0}})",
                         "application/json");
  });
  const int monitor_port = monitor.bind_to_any_port("127.0.0.1");
  ASSERT_GT(monitor_port, 0);
  std::thread serving([&monitor] { monitor.listen_after_bind(); });
  auto run = [&](common::Secret token) {
    ConsoleOptions options;
    k8s::RestConfig nowhere;
    nowhere.server = "http://127.0.0.1:1";
    dr::DrOptions dr_options;
    dr_options.monitor_url = "http://127.0.0.1:" + std::to_string(monitor_port);
    dr_options.monitor_token = std::move(token);
    options.dr = std::make_unique<dr::DrContext>(
        std::move(dr_options), dr::ClusterAccess{"primary", nowhere, ""},
        dr::ClusterAccess{"standby", nowhere, ""}, std::cerr);
    Start(std::move(options));
    return RunCurl(Bearer() + "-X POST -H 'Content-Type: application/json' -d '{}' " + base_ +
                   "/api/dr/check");
  };
  Curl without = run(common::Secret());
  EXPECT_NE(without.status, 200) << without.output;
  EXPECT_NE(without.output.find("HTTP 401"), std::string::npos) << without.output;
  server_.reset();
  Curl with = run(common::Secret("monitor-secret"));
  EXPECT_EQ(with.status, 200) << with.output;
  EXPECT_NE(with.output.find("\"surplus\""), std::string::npos) << with.output;
  EXPECT_EQ(with.output.find("monitor-secret"), std::string::npos) << "the token was echoed";
  server_.reset();
  monitor.stop();
  serving.join();
}

}  // namespace
}  // namespace console
