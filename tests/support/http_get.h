// A plain HTTP GET for tests that talk to our own servers on 127.0.0.1 (libcurl).
#pragma once

#include <string>

namespace testing_support {

struct HttpResponse {
  long status = 0;  // 0: no answer
  std::string body;
};

// `authorization`: the whole header value ("Bearer ..."), none when empty.
HttpResponse HttpGet(const std::string& url, const std::string& accept = "",
                     const std::string& authorization = "", long timeout_seconds = 120);

}  // namespace testing_support
