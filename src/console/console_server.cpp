#include "console/console_server.h"

#include <fmt/format.h>
#include <httplib.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "common/absl_fmt.h"
#include "console/access_token.h"
#include "console/assets.h"
#include "console/views.h"
#include "dr/cluster_checks.h"
#include "dr/monitor_client.h"
#include "dr/plan.h"
#include "dr/runner.h"
#include "k8s/json_fields.h"
#include "k8s/rest_client.h"
#include "k8s/watch.h"
#include "platform/readers.h"
#include "platform/resources.h"
#include "upgrade/components.h"
#include "upgrade/topolvm_steps.h"
#include "upgrade/upgrade_request.h"
#include "upgrade/version_rules.h"

namespace console {

using nlohmann::json;

namespace {

constexpr size_t kMaxRequestBody = 64 * 1024;

int HttpStatusFor(const absl::Status& status) {
  if (absl::IsInvalidArgument(status)) return 400;
  if (absl::IsNotFound(status)) return 404;
  if (absl::IsFailedPrecondition(status)) return 409;
  return 502;  // the cluster or the monitor failed
}

void SendJson(httplib::Response& response, const json& body, int status = 200) {
  response.status = status;
  response.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace),
                       "application/json");
}

void SendError(httplib::Response& response, const absl::Status& status) {
  SendJson(response, {{"error", std::string(status.message())}}, HttpStatusFor(status));
}

std::string HostForUrl(const std::string& host) {
  if (host.empty() || host == "0.0.0.0") return "127.0.0.1";
  if (host == "::") return "[::1]";
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

}  // namespace

absl::StatusOr<ListenAddress> ParseListen(const std::string& text) {
  const auto bad = [&text] {
    return absl::InvalidArgumentError(fmt::format(
        "--listen {}: write host:port (127.0.0.1:8765, [::1]:8765, :8765 for every address)",
        text));
  };
  ListenAddress address;
  std::string port_text = text;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find("]:");
    if (close == std::string::npos) return bad();
    address.host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else if (const size_t colon = text.rfind(':'); colon != std::string::npos) {
    address.host = text.substr(0, colon);
    if (address.host.find(':') != std::string::npos) return bad();  // IPv6 needs brackets
    port_text = text.substr(colon + 1);
    if (address.host.empty()) address.host = "0.0.0.0";
  } else {
    address.host = "127.0.0.1";
  }
  const char* end = port_text.data() + port_text.size();
  auto [ptr, ec] = std::from_chars(port_text.data(), end, address.port);
  if (port_text.empty() || ec != std::errc() || ptr != end || address.port < 0 ||
      address.port > 65535) {
    return bad();
  }
  return address;
}

struct ConsoleServer::Impl {
  ConsoleOptions options;
  std::unique_ptr<httplib::Server> server;
  int port = 0;
  std::jthread thread;
  std::mutex dr_mutex;  // DrContext is not shared between threads
  json last_check;      // the last /check the console ran ("check now")
  std::string last_check_at;

  bool tls() const { return !options.tls_cert_file.empty(); }

  k8s::RestClient Global() const { return k8s::RestClient(options.global); }

  // Every request: security headers, then the token (Bearer, cookie or ?token=). A valid
  // ?token= on a page sets the cookie and redirects to the same path without it, so the
  // token leaves the address bar (and the history).
  httplib::Server::HandlerResponse Admit(const httplib::Request& request,
                                         httplib::Response& response) {
    response.set_header("Cache-Control", "no-store");
    response.set_header("X-Content-Type-Options", "nosniff");
    response.set_header("Referrer-Policy", "no-referrer");
    response.set_header("X-Frame-Options", "DENY");
    response.set_header("Content-Security-Policy",
                        "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                        "img-src 'self' data:; frame-ancestors 'none'");
    const std::string query_token =
        request.has_param(kTokenQuery) ? request.get_param_value(kTokenQuery) : "";
    const std::string supplied = SuppliedToken(request.get_header_value("Authorization"),
                                               request.get_header_value("Cookie"), query_token);
    if (!TokenEquals(supplied, options.token)) {
      response.status = 401;
      response.set_content(
          "401 Unauthorized: open the address `ac console` printed; it carries the access "
          "token\n",
          "text/plain; charset=utf-8");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (request.method == "POST" &&
        request.get_header_value("Content-Type").rfind("application/json", 0) != 0) {
      // A cross-site form cannot send JSON without the browser asking first.
      response.status = 415;
      response.set_content("POST requests carry application/json\n", "text/plain");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (!query_token.empty() && request.method == "GET") {
      response.set_header("Set-Cookie",
                          fmt::format("{}={}; Path=/; HttpOnly; SameSite=Strict{}", kTokenCookie,
                                      options.token.Reveal(), tls() ? "; Secure" : ""));
      response.set_redirect(request.path, 303);
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  }

  void ServeAsset(const std::string& path, httplib::Response& response) {
    const Asset* asset = FindAsset(path);
    if (asset == nullptr) {
      response.status = 404;
      response.set_content("no such page\n", "text/plain");
      return;
    }
    response.set_content(std::string(asset->body), std::string(asset->content_type));
  }

  void Clusters(httplib::Response& response) {
    k8s::RestClient global = Global();
    auto list = global.List(platform::kClusterVersionShadows, platform::kPlatformNamespace);
    if (!list.ok()) return SendError(response, list.status());
    json clusters = json::array();
    const auto now = std::chrono::system_clock::now();
    for (const json& cvsh : k8s::ItemsOf(*list)) clusters.push_back(ClusterView(cvsh, now));
    SendJson(response, {{"clusters", clusters}});
  }

  // Server-sent events: each change of a ClusterVersionShadow as its ClusterView, from the
  // resourceVersion the list read (list-then-watch), until events_timeout; the page's
  // EventSource then connects again.
  void Events(httplib::Response& response) {
    response.set_chunked_content_provider(
        "text/event-stream", [this](size_t, httplib::DataSink& sink) {
          const auto send = [&sink](const std::string& event, const json& data) {
            const std::string text =
                fmt::format("event: {}\ndata: {}\n\n", event,
                            data.dump(-1, ' ', false, json::error_handler_t::replace));
            return sink.is_writable() && sink.write(text.data(), text.size());
          };
          k8s::RestClient global = Global();
          auto list = global.List(platform::kClusterVersionShadows, platform::kPlatformNamespace);
          if (!list.ok()) {
            send("failure", {{"error", std::string(list.status().message())}});
            sink.done();
            return true;
          }
          const std::string retry = "retry: 2000\n\n";
          sink.write(retry.data(), retry.size());
          k8s::WatchOptions watch;
          watch.resource_version = k8s::StringAt(*list, "/metadata/resourceVersion");
          const auto deadline = std::chrono::steady_clock::now() + options.events_timeout;
          auto end = global.Watch(
              platform::kClusterVersionShadows, platform::kPlatformNamespace, watch,
              [&](const k8s::WatchEvent& event) {
                if (event.type == k8s::WatchEventType::kBookmark) return sink.is_writable();
                if (event.type == k8s::WatchEventType::kDeleted) {
                  return send("deleted", {{"cluster", k8s::NameOf(event.object)}});
                }
                return send("cluster", ClusterView(event.object, std::chrono::system_clock::now()));
              },
              deadline);
          if (!end.ok() && !absl::IsDeadlineExceeded(end.status())) {
            spdlog::debug("console events: {}", end.status().message());
          }
          sink.done();
          return true;
        });
  }

  void Components(const std::string& cluster, httplib::Response& response) {
    k8s::RestClient global = Global();
    auto components = upgrade::ReadComponents(global, cluster);
    if (!components.ok()) return SendError(response, components.status());
    auto plan = upgrade::PlanComponents(*components, {});
    if (!plan.ok()) return SendError(response, plan.status());
    SendJson(response, ComponentsView(cluster, *plan));
  }

  // The Upgrade dialog's submit: the same PlanComponents + ApplyPlan `ac adm upgrade
  // components --apply` runs; a refused Target is 409 with the engine's line.
  void ApplyComponents(const std::string& cluster, const httplib::Request& request,
                       httplib::Response& response) {
    auto body = k8s::ParseApiAnswer(request.body, "the Upgrade dialog's request");
    if (!body.ok()) return SendError(response, absl::InvalidArgumentError(body.status().message()));
    auto choices = ChoicesFromJson(*body);
    if (!choices.ok()) return SendError(response, choices.status());
    k8s::RestClient global = Global();
    auto components = upgrade::ReadComponents(global, cluster);
    if (!components.ok()) return SendError(response, components.status());
    if (components->empty()) {
      return SendError(response, absl::NotFoundError(fmt::format(
                                     "cluster {} has no components (no ModuleInfo labelled "
                                     "cpaas.io/cluster-name={})",
                                     cluster, cluster)));
    }
    auto plan = upgrade::PlanComponents(*components, *choices);
    if (!plan.ok()) return SendError(response, plan.status());
    std::vector<std::string> lines;
    const bool any_target = std::any_of(
        plan->begin(), plan->end(), [](const auto& planned) { return !planned.target.empty(); });
    if (any_target) {
      auto before = TopolvmBefore(global, cluster, *plan);
      if (!before.ok()) return SendError(response, before.status());
      lines = *std::move(before);
    }
    auto applied = upgrade::ApplyPlan(global, *plan);
    if (!applied.ok()) return SendError(response, applied.status());
    lines.insert(lines.end(), applied->begin(), applied->end());
    applied = std::move(lines);
    spdlog::info("console: components of {} applied ({} lines)", cluster, applied->size());
    SendJson(response, {{"lines", *applied}, {"plan", ComponentsView(cluster, *plan)}});
  }

  // §4.1 step 5 before any component moves, as `ac adm upgrade components --apply` does it.
  absl::StatusOr<std::vector<std::string>> TopolvmBefore(
      k8s::RestClient& global, const std::string& cluster,
      const std::vector<upgrade::PlannedComponent>& plan) {
    auto source = platform::ReadCurrentVersion(global, cluster);
    if (!source.ok()) return source.status();
    upgrade::TopolvmScope scope{cluster, source->version,
                                upgrade::PlatformTargetVersion(global, cluster), options.state_dir};
    scope.leaves_source = std::any_of(plan.begin(), plan.end(), [&](const auto& planned) {
      return !planned.target.empty() &&
             upgrade::MinorOf(planned.component.current) == upgrade::MinorOf(source->version);
    });
    if (!options.cluster_config) {
      return absl::FailedPreconditionError(
          "this console cannot reach the cluster's own API for the TopoLVM steps: use `ac adm "
          "upgrade components --apply`");
    }
    auto config = options.cluster_config(cluster);
    if (!config.ok()) return config.status();
    k8s::RestClient cluster_client(*config);
    return upgrade::TopolvmBeforeUpgrade(global, cluster_client, scope);
  }

  void RequestUpgrade(const std::string& cluster, const httplib::Request& request,
                      httplib::Response& response) {
    auto body = k8s::ParseApiAnswer(request.body, "the upgrade request");
    if (!body.ok()) return SendError(response, absl::InvalidArgumentError(body.status().message()));
    if (!body->is_object() || !body->contains("to") || !(*body)["to"].is_string() ||
        (*body)["to"].get_ref<const std::string&>().size() > 253) {
      return SendError(response,
                       absl::InvalidArgumentError("send {\"to\": \"<version>\"} (a string)"));
    }
    k8s::RestClient global = Global();
    upgrade::UpgradeRequest upgrade_request;
    upgrade_request.cluster = cluster;
    upgrade_request.to = (*body)["to"].get<std::string>();
    upgrade_request.latest = upgrade_request.to.empty();
    auto outcome = upgrade::RequestUpgrade(global, upgrade_request);
    if (!outcome.ok()) return SendError(response, outcome.status());
    SendJson(response, {{"version", outcome->version},
                        {"unchanged", outcome->unchanged},
                        {"message", outcome->message}});
  }

  static json NotEnabled() {
    return {{"enabled", false},
            {"hint",
             "start `ac console` with --standby-kubeconfig (and --monitor-url) to see the DR "
             "pair"}};
  }

  void Dr(httplib::Response& response) {
    if (!options.dr) return SendJson(response, NotEnabled());
    std::lock_guard lock(dr_mutex);
    dr::DrContext& context = *options.dr;
    json view = {{"enabled", true}};
    view["leader"] =
        LeaderView(context.standby_client().Get(platform::kLeases, platform::kPlatformNamespace,
                                                "etcd-sync-mirror"),
                   context.standby_client().List(platform::kPods, platform::kPlatformNamespace,
                                                 "app=etcd-sync"));
    auto monitor_url = context.MonitorUrl();
    if (monitor_url.ok()) {
      view["monitorUrl"] = *monitor_url;
      k8s::RestConfig config;
      config.server = *monitor_url;
      config.source = "etcd-sync-monitor " + *monitor_url;
      auto history =
          k8s::RestClient(config, std::chrono::seconds(5)).Perform("GET", "/lag-history");
      if (!history.ok()) {
        view["lagHistory"] = {{"error", std::string(history.status().message())}};
      } else if (history->status != 200) {
        view["lagHistory"] = {{"error", fmt::format("{}/lag-history answered HTTP {}", *monitor_url,
                                                    history->status)}};
      } else {
        auto parsed = k8s::ParseApiAnswer(history->body, "the monitor's /lag-history");
        view["lagHistory"] =
            parsed.ok() ? *parsed : json{{"error", std::string(parsed.status().message())}};
      }
    } else {
      view["monitorError"] = std::string(monitor_url.status().message());
    }
    view["lastCheck"] = last_check;
    view["lastCheckAt"] = last_check_at;
    json journals = json::array();
    for (const char* operation : {dr::kUpgrade, dr::kFailover, dr::kReenable}) {
      const std::string file = options.journal_dir + "/" + dr::DefaultJournalFile(operation);
      std::ostringstream quiet;
      dr::JournalStore store(file, &context.client(dr::JournalOnStandby(operation)),
                             dr::JournalConfigMap(operation), quiet);
      auto loaded = store.Load();
      if (!loaded.ok()) {
        journals.push_back(
            {{"operation", operation}, {"error", std::string(loaded.status().message())}});
      } else if (loaded->has_value()) {
        journals.push_back(JournalView(**loaded, file, DrConnectionFlags(context)));
      }
    }
    view["journals"] = journals;
    SendJson(response, view);
  }

  void Gates(httplib::Response& response) {
    if (!options.dr) return SendJson(response, NotEnabled());
    std::lock_guard lock(dr_mutex);
    dr::CheckReport report = dr::RunDrCheck(*options.dr);
    SendJson(response, report.RenderJson());
  }

  // "Check now": the monitor's /check (missed / surplus / stale lists), kept as the last one.
  void CheckNow(httplib::Response& response) {
    if (!options.dr) return SendJson(response, NotEnabled());
    std::lock_guard lock(dr_mutex);
    auto url = options.dr->MonitorUrl();
    if (!url.ok()) return SendError(response, url.status());
    auto answer = dr::MonitorClient(*url, options.dr->options().monitor_token).Check();
    if (!answer.ok()) return SendError(response, answer.status());
    if (answer->status != 200) {
      return SendError(response, absl::UnavailableError(fmt::format("{}/check answered HTTP {}: {}",
                                                                    *url, answer->status,
                                                                    answer->body.substr(0, 300))));
    }
    auto parsed = k8s::ParseApiAnswer(answer->body, "the monitor's /check");
    if (!parsed.ok()) return SendError(response, parsed.status());
    last_check = *std::move(parsed);
    last_check_at = absl::FormatTime(absl::RFC3339_sec, absl::Now(), absl::UTCTimeZone());
    SendJson(response, {{"check", last_check}, {"at", last_check_at}});
  }

  void Routes() {
    server->set_payload_max_length(kMaxRequestBody);
    server->set_pre_routing_handler(
        [this](const httplib::Request& request, httplib::Response& response) {
          return Admit(request, response);
        });
    server->Get("/", [this](const httplib::Request&, httplib::Response& response) {
      ServeAsset("/index.html", response);
    });
    server->Get("/assets/(.+)",
                [this](const httplib::Request& request, httplib::Response& response) {
                  ServeAsset(request.path, response);
                });
    server->Get("/api/clusters", [this](const httplib::Request&, httplib::Response& response) {
      Clusters(response);
    });
    server->Get("/api/events",
                [this](const httplib::Request&, httplib::Response& response) { Events(response); });
    constexpr const char* kCluster = "/api/clusters/([a-z0-9][a-z0-9.-]{0,252})";
    server->Get(std::string(kCluster) + "/components",
                [this](const httplib::Request& request, httplib::Response& response) {
                  Components(request.matches[1], response);
                });
    server->Post(std::string(kCluster) + "/components",
                 [this](const httplib::Request& request, httplib::Response& response) {
                   ApplyComponents(request.matches[1], request, response);
                 });
    server->Post(std::string(kCluster) + "/upgrade",
                 [this](const httplib::Request& request, httplib::Response& response) {
                   RequestUpgrade(request.matches[1], request, response);
                 });
    server->Get("/api/dr",
                [this](const httplib::Request&, httplib::Response& response) { Dr(response); });
    server->Get("/api/dr/gates",
                [this](const httplib::Request&, httplib::Response& response) { Gates(response); });
    server->Post("/api/dr/check", [this](const httplib::Request&, httplib::Response& response) {
      CheckNow(response);
    });
  }
};

ConsoleServer::ConsoleServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ConsoleServer::~ConsoleServer() { Stop(); }

absl::StatusOr<std::unique_ptr<ConsoleServer>> ConsoleServer::Start(ConsoleOptions options) {
  if (options.token.empty()) return absl::InvalidArgumentError("the console needs an access token");
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return absl::InvalidArgumentError("--tls-cert-file and --tls-key-file go together");
  }
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  if (impl->tls()) {
    auto server = std::make_unique<httplib::SSLServer>(impl->options.tls_cert_file.c_str(),
                                                       impl->options.tls_key_file.c_str());
    if (!server->is_valid()) {
      return absl::InvalidArgumentError(
          fmt::format("--tls-cert-file {} / --tls-key-file {}: not a PEM certificate and its key",
                      impl->options.tls_cert_file, impl->options.tls_key_file));
    }
    impl->server = std::move(server);
  } else {
    impl->server = std::make_unique<httplib::Server>();
  }
  impl->Routes();
  const std::string& host = impl->options.host;
  if (impl->options.port == 0) {
    impl->port = impl->server->bind_to_any_port(host.c_str());
  } else {
    impl->port =
        impl->server->bind_to_port(host.c_str(), impl->options.port) ? impl->options.port : -1;
  }
  if (impl->port <= 0) {
    return absl::UnavailableError(fmt::format(
        "cannot listen on {}:{} (in use, or not an address of this host) — choose another "
        "--listen",
        HostForUrl(host), impl->options.port));
  }
  Impl* raw = impl.get();
  impl->thread = std::jthread([raw] { raw->server->listen_after_bind(); });
  return std::unique_ptr<ConsoleServer>(new ConsoleServer(std::move(impl)));
}

int ConsoleServer::port() const { return impl_->port; }

std::string ConsoleServer::Url() const {
  return fmt::format("{}://{}:{}/?{}={}", impl_->tls() ? "https" : "http",
                     HostForUrl(impl_->options.host), impl_->port, kTokenQuery,
                     impl_->options.token.Reveal());
}

void ConsoleServer::Wait() {
  if (impl_->thread.joinable()) impl_->thread.join();
}

void ConsoleServer::Stop() {
  if (!impl_) return;
  impl_->server->stop();
  Wait();
}

}  // namespace console
