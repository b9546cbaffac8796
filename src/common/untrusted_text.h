// Untrusted text (names from a bundle, a registry's error bodies and headers) quoted in an
// operator's message: bounded and on one line, so a hostile 200 KB name cannot flood a log.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace common {

// `text` with control characters shown as '?', cut after `limit` bytes (on a UTF-8
// character boundary) with "... (N bytes)" appended when longer.
inline std::string Clip(std::string_view text, size_t limit = 256) {
  size_t keep = text.size();
  if (keep > limit) {
    keep = limit;
    while (keep > 0 && (static_cast<unsigned char>(text[keep]) & 0xC0) == 0x80) --keep;
  }
  std::string out;
  out.reserve(keep + 32);
  for (size_t i = 0; i < keep; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    out.push_back(c < 0x20 || c == 0x7F ? '?' : static_cast<char>(c));
  }
  if (keep < text.size()) out += fmt::format("... ({} bytes)", text.size());
  return out;
}

}  // namespace common
