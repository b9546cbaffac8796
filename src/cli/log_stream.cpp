#include "cli/log_stream.h"

#include <spdlog/spdlog.h>

#include <iostream>
#include <streambuf>
#include <string>

namespace cli {
namespace {

// Collects characters until a newline, then logs the line through the default logger (the
// JSON formatter does the escaping).
class LogLineBuf : public std::streambuf {
 public:
 protected:
  int_type overflow(int_type ch) override {
    if (traits_type::eq_int_type(ch, traits_type::eof())) return traits_type::not_eof(ch);
    if (ch == '\n') {
      Flush();
    } else if (line_.size() < kMaxLine) {
      line_.push_back(traits_type::to_char_type(ch));
    }
    return ch;
  }
  int sync() override { return 0; }

 private:
  static constexpr size_t kMaxLine = 64 * 1024;  // a longer line is cut, not buffered forever
  void Flush() {
    if (line_.empty()) return;
    spdlog::warn("{}", line_);
    line_.clear();
  }
  std::string line_;
};

}  // namespace

std::ostream& ReportStream(const LogFlags& log) {
  if (log.format != "json") return std::cerr;
  static LogLineBuf buffer;
  static std::ostream stream(&buffer);
  return stream;
}

}  // namespace cli
