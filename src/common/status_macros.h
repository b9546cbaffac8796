// Early-return helpers for absl::Status / absl::StatusOr, as in Abseil-based codebases.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define STATUS_MACROS_CONCAT_INNER(x, y) x##y
#define STATUS_MACROS_CONCAT(x, y) STATUS_MACROS_CONCAT_INNER(x, y)

#define RETURN_IF_ERROR(expr)                 \
  do {                                        \
    ::absl::Status _status_or_value = (expr); \
    if (!_status_or_value.ok()) {             \
      return _status_or_value;                \
    }                                         \
  } while (0)

#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) {                            \
    return tmp.status();                      \
  }                                           \
  lhs = std::move(*tmp)

#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(STATUS_MACROS_CONCAT(_status_or_, __LINE__), lhs, expr)
