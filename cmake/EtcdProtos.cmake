# Generates C++ gRPC stubs for etcd's v3 API at build time from the .proto files that
# Debian ships (golang-etcd-server-dev and the packages it imports). Nothing is copied.
set(GOCODE_SRC "/usr/share/gocode/src" CACHE PATH "Root of Debian's Go source packages")
set(ETCD_PROTO_ROOT "${GOCODE_SRC}/go.etcd.io/etcd")
set(GOGO_PROTO_ROOT "${GOCODE_SRC}/github.com/gogo/protobuf")
set(GOOGLEAPIS_PROTO_ROOT "${GOCODE_SRC}/github.com/grpc-ecosystem/grpc-gateway/third_party/googleapis")

foreach(required "${ETCD_PROTO_ROOT}/etcdserver/etcdserverpb/rpc.proto"
                 "${GOGO_PROTO_ROOT}/gogoproto/gogo.proto"
                 "${GOOGLEAPIS_PROTO_ROOT}/google/api/annotations.proto")
  if(NOT EXISTS "${required}")
    message(FATAL_ERROR "${required} not found: install golang-etcd-server-dev, "
                        "golang-github-gogo-protobuf-dev and golang-github-grpc-ecosystem-grpc-gateway-dev")
  endif()
endforeach()

find_program(GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)
set(ETCD_PROTO_OUT "${CMAKE_BINARY_DIR}/gen")
file(MAKE_DIRECTORY "${ETCD_PROTO_OUT}")

# Virtual import path (as the .proto files spell their imports) -> file on disk.
set(ETCD_PROTOS
  "etcd/mvcc/mvccpb/kv.proto"
  "etcd/auth/authpb/auth.proto"
  "etcd/etcdserver/etcdserverpb/rpc.proto"
  "etcd/etcdserver/api/v3election/v3electionpb/v3election.proto"
  "gogoproto/gogo.proto"
  "google/api/annotations.proto"
  "google/api/http.proto")

set(ETCD_PROTO_SRCS)
set(ETCD_PROTO_HDRS)
foreach(proto ${ETCD_PROTOS})
  string(REGEX REPLACE "\\.proto$" "" stem "${proto}")
  list(APPEND ETCD_PROTO_SRCS "${ETCD_PROTO_OUT}/${stem}.pb.cc" "${ETCD_PROTO_OUT}/${stem}.grpc.pb.cc")
  list(APPEND ETCD_PROTO_HDRS "${ETCD_PROTO_OUT}/${stem}.pb.h" "${ETCD_PROTO_OUT}/${stem}.grpc.pb.h")
endforeach()

add_custom_command(
  OUTPUT ${ETCD_PROTO_SRCS} ${ETCD_PROTO_HDRS}
  COMMAND protobuf::protoc
    "-Ietcd=${ETCD_PROTO_ROOT}" "-I${GOGO_PROTO_ROOT}" "-I${GOOGLEAPIS_PROTO_ROOT}"
    "-I${Protobuf_INCLUDE_DIRS}"
    "--cpp_out=${ETCD_PROTO_OUT}" "--grpc_out=${ETCD_PROTO_OUT}"
    "--plugin=protoc-gen-grpc=${GRPC_CPP_PLUGIN}"
    ${ETCD_PROTOS}
  COMMENT "Generating etcd v3 gRPC stubs from ${ETCD_PROTO_ROOT}"
  VERBATIM)

add_library(etcd_proto STATIC ${ETCD_PROTO_SRCS})
# Generated files define the same file-local names: never one translation unit.
set_target_properties(etcd_proto PROPERTIES UNITY_BUILD OFF)
target_include_directories(etcd_proto SYSTEM PUBLIC "${ETCD_PROTO_OUT}")
target_link_libraries(etcd_proto PUBLIC gRPC::grpc++ protobuf::libprotobuf)
