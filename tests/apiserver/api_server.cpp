#include "apiserver/api_server.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>
#include <random>

#include "absl/strings/numbers.h"
#include "apiserver/api_path.h"
#include "apiserver/discovery.h"
#include "apiserver/label_selector.h"
#include "common/absl_fmt.h"
#include "common/base64.h"
#include "etcd/grpc_error.h"
#include "etcd/key_range.h"
#include "etcd/watch_stream.h"

namespace apiserver {
namespace {

constexpr int kMaxRetries = 16;
constexpr int64_t kDefaultWatchSeconds = 300;
constexpr int64_t kMaxWatchSeconds = 1800;
constexpr int64_t kMaxPage = 10000;

std::string NewUid() {
  static thread_local std::mt19937_64 random(std::random_device{}());
  const uint64_t high = random(), low = random();
  return fmt::format("{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}", high >> 32, (high >> 16) & 0xffff,
                     high & 0xfff, 0x8000 | ((low >> 48) & 0x3fff), low & 0xffffffffffffULL);
}

std::string Now() {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}",
                     std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
}

std::string ResourceVersion(const nlohmann::json& object) {
  return object.value("/metadata/resourceVersion"_json_pointer, std::string());
}

ApiFailure NoSuchResource() {
  return {404, "NotFound", "the server could not find the requested resource", {}};
}

// The part of an object's etcd key after its collection prefix: "<ns>/<name>" when the
// collection spans namespaces, else "<name>".
std::string ObjectKeySuffix(const nlohmann::json& object, bool with_namespace) {
  const std::string name = object.value("/metadata/name"_json_pointer, std::string());
  if (!with_namespace) return name;
  return object.value("/metadata/namespace"_json_pointer, std::string()) + "/" + name;
}

ApiFailure Internal(const absl::Status& status) {
  return {500, "InternalError", fmt::format("Internal error occurred: {}", status.message()), {}};
}

}  // namespace

struct ApiServer::Target {
  EtcdStore* store = nullptr;
  ServedResource resource;
  ApiPath path;
  std::string key;     // the object's etcd key (when path.name is set)
  std::string prefix;  // the collection's etcd prefix (in path.ns when set)
};

ApiServer::ApiServer(etcd::Client& etcd, ApiServerOptions options)
    : store_(etcd), options_(std::move(options)), openapi_(options_.resources) {
  for (const auto& [name, client] : options_.platform_clusters) {
    cluster_stores_[name] = std::make_unique<EtcdStore>(*client);
  }
}

ApiServer::~ApiServer() { Stop(); }

absl::Status ApiServer::Start() {
  if (options_.certs_dir.empty()) {
    server_ = std::make_unique<httplib::Server>();
  } else {
    const std::string dir = options_.certs_dir + "/";
    server_ = std::make_unique<httplib::SSLServer>(
        (dir + "server.crt").c_str(), (dir + "server.key").c_str(),
        options_.tls_token_only ? nullptr : (dir + "ca.crt").c_str());
    if (!server_->is_valid()) {
      return absl::InvalidArgumentError(
          fmt::format("test apiserver: cannot load TLS files from {}", options_.certs_dir));
    }
  }
  for (const char* method : {"GET", "POST", "PUT", "PATCH", "DELETE"}) {
    const std::string name = method;
    auto handler = [this, name](const httplib::Request& request, httplib::Response& response) {
      Handle(name, request, response);
    };
    const char* pattern = R"(/.*)";
    if (name == "GET") server_->Get(pattern, handler);
    if (name == "POST") server_->Post(pattern, handler);
    if (name == "PUT") server_->Put(pattern, handler);
    if (name == "PATCH") server_->Patch(pattern, handler);
    if (name == "DELETE") server_->Delete(pattern, handler);
  }
  port_ = options_.port == 0
              ? server_->bind_to_any_port("127.0.0.1")
              : (server_->bind_to_port("127.0.0.1", options_.port) ? options_.port : -1);
  if (port_ <= 0) {
    return absl::UnavailableError(
        fmt::format("test apiserver: cannot listen on 127.0.0.1:{}", options_.port));
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return absl::OkStatus();
}

void ApiServer::Stop() {
  {
    std::unique_lock lock(watches_mutex_);
    stopping_ = true;
    watches_changed_.notify_all();
  }
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

bool ApiServer::Authorized(const httplib::Request& request) const {
  // Over mutual TLS the handshake already verified the client's certificate.
  const bool by_certificate = !options_.certs_dir.empty() && !options_.tls_token_only &&
                              !request.has_header("Authorization");
  const std::string authorization = request.get_header_value("Authorization");
  const bool by_basic =
      !options_.basic_username.empty() &&
      authorization == "Basic " + common::EncodeBase64(options_.basic_username + ":" +
                                                       options_.basic_password.Reveal());
  return by_certificate || by_basic ||
         (!options_.token.empty() && authorization == "Bearer " + options_.token.Reveal());
}

void ApiServer::Handle(const std::string& method, const httplib::Request& request,
                       httplib::Response& response) {
  Reply reply;
  if (request.path == "/healthz" || request.path == "/readyz") {
    response.set_content("ok", "text/plain");
    return;
  }
  if (!Authorized(request)) {
    reply = {401, StatusBody(Unauthorized())};
  } else {
    auto [store, path] = StoreFor(request.path);
    const std::string watch = request.get_param_value("watch");
    if (store == nullptr) {
      reply = {404,
               StatusBody({404, "NotFound", fmt::format("cluster \"{}\" not found", path), {}})};
    } else if (method == "GET" && path.starts_with("/openapi/")) {
      if (std::optional<OpenApiReply> document = openapi_.Find(path)) {
        response.status = 200;
        response.set_content(document->body, document->content_type);
        return;
      }
      reply = Route(method, request, path, *store);
    } else if (method == "GET" && (watch == "true" || watch == "1")) {
      Watch(request, response, path, *store);
      return;
    } else {
      reply = Route(method, request, path, *store);
    }
  }
  response.status = reply.code;
  response.set_content(reply.body.dump(), "application/json");
}

std::pair<EtcdStore*, std::string> ApiServer::StoreFor(const std::string& path) {
  constexpr std::string_view kProxy = "/kubernetes/";
  if (!path.starts_with(kProxy)) return {&store_, path};
  const size_t end = path.find('/', kProxy.size());
  const std::string cluster = path.substr(
      kProxy.size(), end == std::string::npos ? std::string::npos : end - kProxy.size());
  const std::string rest = end == std::string::npos ? "/" : path.substr(end);
  if (auto it = cluster_stores_.find(cluster); it != cluster_stores_.end()) {
    return {it->second.get(), rest};
  }
  if (cluster == "global") return {&store_, rest};
  return {nullptr, cluster};
}

bool ApiServer::Resolve(const std::string& api_path, EtcdStore& store, Target& target) const {
  const std::optional<ApiPath> path = ParseApiPath(api_path);
  if (!path) return false;
  target.store = &store;
  target.path = *path;
  bool found = false;
  for (const ServedResource& resource : options_.resources) {
    if (resource.group == path->group && resource.version == path->version &&
        resource.resource == path->resource) {
      target.resource = resource;
      found = true;
    }
  }
  if (!found || (!target.resource.namespaced && !path->ns.empty()) ||
      (!path->subresource.empty() && path->subresource != "status")) {
    return false;
  }
  target.prefix = target.resource.StoragePrefix();
  if (!path->ns.empty()) target.prefix += path->ns + "/";
  target.key = target.prefix + path->name;
  return true;
}

ApiServer::Reply ApiServer::Route(const std::string& method, const httplib::Request& request,
                                  const std::string& api_path, EtcdStore& store) {
  auto fail = [](const ApiFailure& failure) { return Reply{failure.code, StatusBody(failure)}; };
  if (method == "GET") {
    if (auto document = DiscoveryDocument(options_.resources, api_path)) return {200, *document};
  }
  Target target;
  if (!Resolve(api_path, store, target)) return fail(NoSuchResource());
  const ApiPath* path = &target.path;
  const bool object_path = !path->name.empty();
  const bool in_namespace = !target.resource.namespaced || !path->ns.empty();
  if (method == "GET")
    return object_path ? (in_namespace ? Read(target) : fail(NoSuchResource()))
                       : List(request, target);
  if (method == "POST" && !object_path && in_namespace) return Create(request.body, target);
  if (object_path && in_namespace) {
    if (method == "DELETE" && path->subresource.empty()) return Remove(target);
    if (method == "PUT" || method == "PATCH") return Write(method, request, target);
  }
  return fail({405,
               "MethodNotAllowed",
               fmt::format("the server does not allow this method on the requested resource"),
               {}});
}

ApiServer::Reply ApiServer::Read(const Target& target) {
  auto stored = target.store->Get(target.key);
  if (!stored.ok()) return {500, StatusBody(Internal(stored.status()))};
  if (!stored->has_value()) {
    return {404, StatusBody(NotFound(target.resource.GroupResource(), target.path.name))};
  }
  return {200, (*stored)->object};
}

ApiServer::Reply ApiServer::List(const httplib::Request& request, const Target& target) {
  const auto selector = ParseLabelSelector(request.get_param_value("labelSelector"));
  if (!selector) {
    return {400, StatusBody(BadRequest(fmt::format(
                     "unable to parse requirement: label selector \"{}\" is not supported",
                     request.get_param_value("labelSelector"))))};
  }
  int64_t limit = 0;
  if (const std::string text = request.get_param_value("limit"); !text.empty()) {
    if (!absl::SimpleAtoi(text, &limit) || limit < 0) {
      return {400, StatusBody(BadRequest(fmt::format("limit \"{}\" is not a count", text)))};
    }
    limit = std::min(limit, kMaxPage);
  }
  // continue: base64 of {"rv": <revision the first page read>, "start": <next etcd key>}.
  std::string from;
  int64_t revision = 0;
  if (const std::string token = request.get_param_value("continue"); !token.empty()) {
    const nlohmann::json parsed =
        nlohmann::json::parse(common::DecodeBase64(token).value_or(""), nullptr, false);
    if (!parsed.is_object() || !parsed.value("rv", nlohmann::json()).is_number_integer() ||
        !parsed.value("start", nlohmann::json()).is_string() ||
        !parsed["start"].get<std::string>().starts_with(target.prefix)) {
      return {400, StatusBody(BadRequest("continue key is not valid"))};
    }
    from = parsed["start"].get<std::string>();
    revision = parsed["rv"].get<int64_t>();
  }
  bool more = false;
  auto stored = limit > 0 || revision != 0
                    ? target.store->ListPage(target.prefix, from, limit, revision, more)
                    : target.store->List(target.prefix);
  if (!stored.ok()) {
    if (etcd::IsCompacted(stored.status())) {
      return {410, StatusBody({410, "Expired", "The provided continue parameter is too old", {}})};
    }
    return {500, StatusBody(Internal(stored.status()))};
  }
  nlohmann::json metadata = {{"resourceVersion", std::to_string(stored->revision)}};
  if (more && !stored->items.empty()) {
    const std::string last =
        target.prefix + ObjectKeySuffix(stored->items.back().object,
                                        target.resource.namespaced && target.path.ns.empty());
    metadata["continue"] = common::EncodeBase64(
        nlohmann::json{{"rv", stored->revision}, {"start", last + std::string(1, '\0')}}.dump());
  }
  nlohmann::json items = nlohmann::json::array();
  for (StoredObject& item : stored->items) {
    if (MatchesLabels(*selector, item.object)) items.push_back(std::move(item.object));
  }
  return {200,
          {{"apiVersion", target.resource.GroupVersion()},
           {"kind", target.resource.kind + "List"},
           {"metadata", std::move(metadata)},
           {"items", std::move(items)}}};
}

ApiServer::Reply ApiServer::Create(const std::string& body, const Target& target) {
  const ServedResource& resource = target.resource;
  nlohmann::json object = nlohmann::json::parse(body, nullptr, false);
  if (!object.is_object()) {
    return {400, StatusBody(BadRequest("the request body is not a JSON object"))};
  }
  nlohmann::json& meta = object["metadata"];
  if (!meta.is_object()) meta = nlohmann::json::object();
  std::string name = meta.value("name", "");
  if (name.empty() && !meta.value("generateName", "").empty()) {
    name = meta.value("generateName", "") + NewUid().substr(0, 5);
  }
  if (name.empty()) {
    return {422, StatusBody({422,
                             "Invalid",
                             fmt::format("{} \"\" is invalid: metadata.name: Required value: "
                                         "name or generateName is required",
                                         resource.kind),
                             {}})};
  }
  if (resource.namespaced) {
    const std::string ns = meta.value("namespace", "");
    if (!ns.empty() && ns != target.path.ns) {
      return {400, StatusBody(BadRequest("the namespace of the provided object does not match "
                                         "the namespace sent on the request"))};
    }
    meta["namespace"] = target.path.ns;
  } else {
    meta.erase("namespace");
  }
  meta["name"] = name;
  meta["uid"] = NewUid();
  meta["creationTimestamp"] = Now();
  meta["generation"] = 1;
  meta.erase("resourceVersion");
  if (!object.contains("apiVersion")) object["apiVersion"] = resource.GroupVersion();
  if (!object.contains("kind")) object["kind"] = resource.kind;
  object.erase("status");  // set through the /status subresource only
  auto created = target.store->Create(target.key + name, std::move(object));
  if (!created.ok()) return {500, StatusBody(Internal(created.status()))};
  if (!created->has_value()) {
    return {409, StatusBody(AlreadyExists(resource.GroupResource(), name))};
  }
  return {201, (*created)->object};
}

ApiServer::Reply ApiServer::Write(const std::string& method, const httplib::Request& request,
                                  const Target& target) {
  const std::string& name = target.path.name;
  const std::string group_resource = target.resource.GroupResource();
  const bool status_only = target.path.subresource == "status";
  if (method == "PATCH" &&
      request.get_header_value("Content-Type").find("application/merge-patch+json") != 0) {
    return {415, StatusBody({415,
                             "UnsupportedMediaType",
                             fmt::format("the body of the request was in an unknown format - "
                                         "accepted media types include: "
                                         "application/merge-patch+json"),
                             {}})};
  }
  const nlohmann::json input = nlohmann::json::parse(request.body, nullptr, false);
  if (!input.is_object()) {
    return {400, StatusBody(BadRequest("the request body is not a JSON object"))};
  }
  if (method == "PUT" && input.value("/metadata/name"_json_pointer, std::string()) != name) {
    return {400, StatusBody(BadRequest(fmt::format(
                     "the name of the object ({}) does not match the name on the URL ({})",
                     input.value("/metadata/name"_json_pointer, std::string()), name)))};
  }
  const std::string wanted_version = ResourceVersion(input);
  for (int attempt = 0; attempt < kMaxRetries; ++attempt) {
    auto stored = target.store->Get(target.key);
    if (!stored.ok()) return {500, StatusBody(Internal(stored.status()))};
    if (!stored->has_value()) return {404, StatusBody(NotFound(group_resource, name))};
    const nlohmann::json& existing = (*stored)->object;
    if (!wanted_version.empty() && wanted_version != ResourceVersion(existing)) {
      return {409, StatusBody(Conflict(group_resource, name))};
    }
    nlohmann::json candidate = input;
    if (method == "PATCH") {
      candidate = existing;
      candidate.merge_patch(input);
    }
    nlohmann::json next = existing;
    if (status_only) {
      if (candidate.contains("status")) {
        next["status"] = candidate["status"];
      } else {
        next.erase("status");
      }
    } else {
      next = candidate;
      for (const char* kept : {"uid", "creationTimestamp", "namespace", "name", "generation"}) {
        if (existing["metadata"].contains(kept)) {
          next["metadata"][kept] = existing["metadata"][kept];
        } else {
          next["metadata"].erase(kept);
        }
      }
      if (existing.contains("status")) {
        next["status"] = existing["status"];
      } else {
        next.erase("status");
      }
      if (next.value("spec", nlohmann::json()) != existing.value("spec", nlohmann::json())) {
        next["metadata"]["generation"] = existing["metadata"].value("generation", int64_t{0}) + 1;
      }
    }
    auto updated = target.store->Update(target.key, std::move(next), (*stored)->mod_revision);
    if (!updated.ok()) return {500, StatusBody(Internal(updated.status()))};
    if (updated->has_value()) return {200, (*updated)->object};
    if (!wanted_version.empty()) return {409, StatusBody(Conflict(group_resource, name))};
  }
  return {409, StatusBody(Conflict(group_resource, name))};
}

ApiServer::Reply ApiServer::Remove(const Target& target) {
  for (int attempt = 0; attempt < kMaxRetries; ++attempt) {
    auto stored = target.store->Get(target.key);
    if (!stored.ok()) return {500, StatusBody(Internal(stored.status()))};
    if (!stored->has_value()) {
      return {404, StatusBody(NotFound(target.resource.GroupResource(), target.path.name))};
    }
    auto deleted = target.store->Delete(target.key, (*stored)->mod_revision);
    if (!deleted.ok()) return {500, StatusBody(Internal(deleted.status()))};
    if (*deleted) return {200, (*stored)->object};
  }
  return {409, StatusBody(Conflict(target.resource.GroupResource(), target.path.name))};
}

void ApiServer::Watch(const httplib::Request& request, httplib::Response& response,
                      const std::string& path, EtcdStore& store) {
  auto fail = [&response](const ApiFailure& failure) {
    response.status = failure.code;
    response.set_content(StatusBody(failure).dump(), "application/json");
  };
  Target target;
  if (!Resolve(path, store, target) || !target.path.name.empty() ||
      !target.path.subresource.empty()) {
    return fail(NoSuchResource());
  }
  const auto selector = ParseLabelSelector(request.get_param_value("labelSelector"));
  if (!selector) return fail(BadRequest("label selector is not supported"));
  // Only "metadata.name=<name>" (what `kubectl get <kind> <name> --watch` sends).
  std::string only_name;
  if (const std::string fields = request.get_param_value("fieldSelector"); !fields.empty()) {
    constexpr std::string_view kName = "metadata.name=";
    if (!fields.starts_with(kName) || fields.find(',') != std::string::npos) {
      return fail(BadRequest(
          fmt::format("field selector \"{}\" is not supported (only metadata.name=)", fields)));
    }
    only_name = fields.substr(kName.size());
  }
  int64_t seconds = kDefaultWatchSeconds;
  if (const std::string text = request.get_param_value("timeoutSeconds"); !text.empty()) {
    if (!absl::SimpleAtoi(text, &seconds) || seconds <= 0) {
      return fail(BadRequest(fmt::format("timeoutSeconds \"{}\" is not a count", text)));
    }
  }
  seconds = std::min(seconds, kMaxWatchSeconds);
  int64_t since = 0;  // 0: send the current objects as ADDED first, then watch from there
  if (const std::string text = request.get_param_value("resourceVersion");
      !text.empty() && text != "0") {
    if (!absl::SimpleAtoi(text, &since) || since < 0) {
      return fail(BadRequest(fmt::format("resourceVersion \"{}\" is not valid", text)));
    }
  }
  auto wanted = [selector = *selector, only_name](const nlohmann::json& object) {
    return MatchesLabels(selector, object) &&
           (only_name.empty() ||
            object.value("/metadata/name"_json_pointer, std::string()) == only_name);
  };
  std::vector<std::string> initial;
  if (since == 0) {
    auto listed = store.List(target.prefix);
    if (!listed.ok()) return fail(Internal(listed.status()));
    for (const StoredObject& item : listed->items) {
      if (!wanted(item.object)) continue;
      initial.push_back(nlohmann::json{{"type", "ADDED"}, {"object", item.object}}.dump() + "\n");
    }
    since = listed->revision;
  }
  etcd::pb::WatchCreateRequest create;
  create.set_key(target.prefix);
  create.set_range_end(etcd::PrefixRangeEnd(target.prefix));
  create.set_start_revision(since + 1);
  create.set_prev_kv(true);
  auto opened = etcd::WatchStream::Open(store.client(), create);
  if (!opened.ok()) {
    if (etcd::IsCompacted(opened.status())) {
      return fail({410, "Expired", fmt::format("too old resource version: {}", since), {}});
    }
    return fail(Internal(opened.status()));
  }
  std::shared_ptr<etcd::WatchStream> stream = std::move(*opened);
  {
    std::unique_lock lock(watches_mutex_);
    if (stopping_) return fail({503, "ServiceUnavailable", "the server is shutting down", {}});
    ++active_watches_;
  }
  response.status = 200;
  // Not plain "application/json": httplib would gzip that (kubectl accepts gzip) and hold
  // every event back until the stream ends.
  response.set_chunked_content_provider("application/json;stream=watch", [this, stream, initial,
                                                                          wanted, seconds](
                                                                             size_t,
                                                                             httplib::DataSink&
                                                                                 sink) {
    // Ends the stream at its timeout or when the server stops.
    bool finished = false;
    std::thread timer([this, stream, seconds, &finished] {
      std::unique_lock lock(watches_mutex_);
      watches_changed_.wait_for(lock, std::chrono::seconds(seconds),
                                [&] { return finished || stopping_; });
      stream->Cancel();
    });
    bool open = true;
    for (const std::string& line : initial) {
      if (open) open = sink.write(line.data(), line.size());
    }
    while (open) {
      auto next = stream->Next();
      if (!next.ok()) break;
      for (const mvccpb::Event& event : next->events()) {
        const bool deleted =
            event.type() ==
            mvccpb::Event_EventType_DELETE;  // httplib.h brings resolv.h's DELETE macro
        const mvccpb::KeyValue& source = deleted ? event.prev_kv() : event.kv();
        nlohmann::json object = nlohmann::json::parse(source.value(), nullptr, false);
        if (!object.is_object() || !wanted(object)) continue;
        object["metadata"]["resourceVersion"] = std::to_string(event.kv().mod_revision());
        const char* type = deleted                                                     ? "DELETED"
                           : event.kv().create_revision() == event.kv().mod_revision() ? "ADDED"
                                                                                       : "MODIFIED";
        const std::string line = nlohmann::json{{"type", type}, {"object", object}}.dump() + "\n";
        if (!sink.write(line.data(), line.size())) {
          open = false;
          break;
        }
      }
    }
    {
      std::unique_lock lock(watches_mutex_);
      finished = true;
      --active_watches_;
      watches_changed_.notify_all();
    }
    timer.join();
    sink.done();
    return true;
  });
}

}  // namespace apiserver
