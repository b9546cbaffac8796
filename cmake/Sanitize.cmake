# -DSANITIZE=ON (clang only): ASan + UBSan on our code, and libFuzzer hooks so the same
# library objects serve the unit tests and the fuzz targets in fuzz/. Meant for a second
# build dir (build-san) that builds only the `sanitize_checks` target: the libraries, the
# unit tests and the fuzzers, never the binaries.
option(SANITIZE "Build with ASan+UBSan and build the libFuzzer targets (clang)" OFF)
if(SANITIZE)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "SANITIZE=ON needs clang: -DCMAKE_CXX_COMPILER=clang++")
  endif()
  set(SANITIZE_FLAGS -fsanitize=address,undefined -fno-omit-frame-pointer
                     -fno-sanitize-recover=all)
  # Through PROJECT_WARNINGS: only our own code is instrumented, not the generated etcd stubs
  # (large, not ours, and slow to compile with ASan).
  list(APPEND PROJECT_WARNINGS ${SANITIZE_FLAGS} -fsanitize=fuzzer-no-link)
  add_link_options(${SANITIZE_FLAGS})
  # -O1 keeps the instrumented build fast to compile and still fast to run.
  set(CMAKE_CXX_FLAGS_RELWITHDEBINFO "-O1 -g1")
  add_custom_target(sanitize_checks)
endif()
