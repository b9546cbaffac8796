# -DSANITIZE=ON (clang only): ASan + UBSan on our code, and libFuzzer hooks so the same
# library objects serve the unit tests and the fuzz targets in fuzz/. Meant for a second
# build dir (build-san, build-fuzz) that builds only the `sanitize_checks` target: the libraries, the
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
  # -O1 (bench/fuzz.sh's build-fuzz): fast fuzzing. scripts/test.sh's build-san passes -O0:
  # a third less compile time (measured: 16.8 vs 25.9 CPU-s on src/sync/full_sync.cpp), and its
  # unit tests and 5-second fuzz runs do not need the speed.
  set(SANITIZE_OPT_FLAGS "-O1 -g1" CACHE STRING "Optimisation flags of the SANITIZE=ON build")
  set(CMAKE_CXX_FLAGS_RELWITHDEBINFO "${SANITIZE_OPT_FLAGS}")
  add_custom_target(sanitize_checks)
endif()
