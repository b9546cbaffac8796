// A plain HTTP GET for tests that talk to our own servers on 127.0.0.1 (libcurl).
#pragma once

#include <string>

namespace testing_support {

struct HttpResponse {
  long status = 0;  // 0: no answer
  std::string body;
};

HttpResponse HttpGet(const std::string& url, const std::string& accept = "");

}  // namespace testing_support
