#include "k8s/watch.h"

#include <fmt/format.h>

#include "common/absl_fmt.h"
#include "common/untrusted_text.h"
#include "k8s/api_error.h"
#include "k8s/rest_client.h"

namespace k8s {

WatchEventSplitter::WatchEventSplitter(size_t max_event_bytes, std::string what)
    : max_event_bytes_(max_event_bytes), what_(std::move(what)) {}

absl::Status WatchEventSplitter::Feed(std::string_view chunk, const WatchCallback& on_event) {
  while (failed_.ok() && !stopped_ && !chunk.empty()) {
    const size_t newline = chunk.find('\n');
    const std::string_view piece = chunk.substr(0, newline);
    if (pending_.size() + piece.size() > max_event_bytes_) {
      failed_ = absl::ResourceExhaustedError(
          fmt::format("{}: an event is more than {} bytes; refusing it", what_, max_event_bytes_));
      break;
    }
    if (newline == std::string_view::npos) {
      pending_.append(piece);
      break;
    }
    chunk.remove_prefix(newline + 1);
    if (pending_.empty()) {
      failed_ = Line(piece, on_event);
    } else {
      pending_.append(piece);
      const std::string line = std::move(pending_);
      pending_.clear();
      failed_ = Line(line, on_event);
    }
  }
  return failed_;
}

absl::Status WatchEventSplitter::Finish(const WatchCallback& on_event) {
  if (!failed_.ok() || stopped_ || pending_.empty()) return failed_;
  const std::string line = std::move(pending_);
  pending_.clear();
  failed_ = Line(line, on_event);
  return failed_;
}

absl::Status WatchEventSplitter::Line(std::string_view line, const WatchCallback& on_event) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
    line.remove_suffix(1);
  }
  while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
  if (line.empty()) return absl::OkStatus();
  auto parsed = ParseApiAnswer(line, what_ + ": an event");
  if (!parsed.ok()) return parsed.status();
  nlohmann::json& event = *parsed;
  if (!event.is_object() || !event.contains("type") || !event["type"].is_string() ||
      !event.contains("object") || !event["object"].is_object()) {
    return absl::DataLossError(
        fmt::format("{}: an event is not a WatchEvent ({{\"type\": ..., \"object\": {{...}}}}): {}",
                    what_, common::Clip(line, 120)));
  }
  const std::string type = event["type"].get<std::string>();
  WatchEvent out;
  out.object = std::move(event["object"]);
  if (type == "ERROR") {
    const nlohmann::json& status = out.object;
    const long code = status.contains("code") && status["code"].is_number_integer()
                          ? status["code"].get<long>()
                          : 500;
    if (code == 410) {
      const std::string message = status.contains("message") && status["message"].is_string()
                                      ? status["message"].get<std::string>()
                                      : "too old resource version";
      return absl::OutOfRangeError(
          fmt::format("{}: the server said: {} (410 Gone); list again and watch from the new "
                      "resourceVersion",
                      what_, common::Clip(message, 256)));
    }
    return ApiError(code, status.dump(), what_);
  }
  if (type == "ADDED") {
    out.type = WatchEventType::kAdded;
  } else if (type == "MODIFIED") {
    out.type = WatchEventType::kModified;
  } else if (type == "DELETED") {
    out.type = WatchEventType::kDeleted;
  } else if (type == "BOOKMARK") {
    out.type = WatchEventType::kBookmark;
  } else {
    return absl::DataLossError(
        fmt::format("{}: an event of unknown type \"{}\"", what_, common::Clip(type, 64)));
  }
  const nlohmann::json::json_pointer version("/metadata/resourceVersion");
  if (out.object.contains(version) && out.object.at(version).is_string()) {
    resource_version_ = out.object.at(version).get<std::string>();
  }
  if (!on_event(out)) stopped_ = true;
  return absl::OkStatus();
}

}  // namespace k8s
