# cmake -DSOURCE_DIR=.. -DTEMPLATE=.. -DOUTPUT=.. -DBUILD_VERSION=.. -P BuildInfo.cmake
# Writes build_info.cpp (only when its text changes, so an unchanged commit recompiles
# nothing). Commit: `git rev-parse HEAD` of SOURCE_DIR itself ("unknown" when SOURCE_DIR is
# not the top of a git checkout, e.g. an unpacked tarball inside some other repository).
# Date: $SOURCE_DATE_EPOCH when set (string(TIMESTAMP) honours it), else the commit's date,
# so rebuilds of one commit are identical; "unknown" without either.
set(BUILD_COMMIT unknown)
set(BUILD_DATE unknown)
find_package(Git QUIET)
if(GIT_FOUND AND EXISTS "${SOURCE_DIR}/.git")
  execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --show-toplevel HEAD
                  WORKING_DIRECTORY ${SOURCE_DIR} RESULT_VARIABLE failed
                  OUTPUT_VARIABLE out OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  string(REPLACE "\n" ";" out "${out}")
  list(LENGTH out count)
  if(NOT failed AND count EQUAL 2)
    list(GET out 0 top)
    list(GET out 1 head)
    file(REAL_PATH "${top}" top)
    file(REAL_PATH "${SOURCE_DIR}" source)
    if(top STREQUAL source)
      set(BUILD_COMMIT ${head})
      execute_process(COMMAND ${CMAKE_COMMAND} -E env TZ=UTC ${GIT_EXECUTABLE} log -1
                              --date=format-local:%Y-%m-%dT%H:%M:%SZ --format=%cd
                      WORKING_DIRECTORY ${SOURCE_DIR}
                      OUTPUT_VARIABLE date OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
      if(date)
        set(BUILD_DATE ${date})
      endif()
    endif()
  endif()
endif()
if(DEFINED ENV{SOURCE_DATE_EPOCH})
  string(TIMESTAMP BUILD_DATE "%Y-%m-%dT%H:%M:%SZ" UTC)
endif()
configure_file(${TEMPLATE} ${OUTPUT} @ONLY)
