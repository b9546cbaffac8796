#include "k8s/object_meta.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <gtest/gtest.h>

#include "support/protobuf_test_values.h"

namespace k8s {
namespace {

TEST(ObjectMetaTest, ReadsJson) {
  ObjectMeta meta = ReadObjectMeta(
      R"({"kind":"Pod","metadata":{"name":"web-1","namespace":"team-a","uid":"u-pod",)"
      R"("ownerReferences":[{"kind":"ReplicaSet","uid":"u-rs"},{"kind":"X","uid":"u-x"}]}})");
  EXPECT_EQ(meta.encoding, ObjectMeta::Encoding::kJson);
  EXPECT_EQ(meta.name, "web-1");
  EXPECT_EQ(meta.ns, "team-a");
  EXPECT_EQ(meta.uid, "u-pod");
  EXPECT_EQ(meta.owner_uids, (std::vector<std::string>{"u-rs", "u-x"}));
}

TEST(ObjectMetaTest, ReadsTheProtobufEnvelope) {
  const std::string value =
      testing_values::ProtobufObject("v1", "Pod", "web-1", "team-a", "u-pod", {"u-rs", "u-x"});
  ASSERT_TRUE(value.starts_with(kProtobufMagic));
  ObjectMeta meta = ReadObjectMeta(value);
  EXPECT_EQ(meta.encoding, ObjectMeta::Encoding::kProtobuf);
  EXPECT_EQ(meta.name, "web-1");
  EXPECT_EQ(meta.ns, "team-a");
  EXPECT_EQ(meta.uid, "u-pod");
  EXPECT_EQ(meta.owner_uids, (std::vector<std::string>{"u-rs", "u-x"}));
}

TEST(ObjectMetaTest, EncryptedAndGarbageAreOpaque) {
  EXPECT_EQ(ReadObjectMeta("k8s:enc:aescbc:v1:key1:\x01\x02").encoding,
            ObjectMeta::Encoding::kEncrypted);
  EXPECT_EQ(ReadObjectMeta("not json").encoding, ObjectMeta::Encoding::kUnknown);
  EXPECT_EQ(ReadObjectMeta(std::string("k8s\0\x0a\xff\xff", 7)).encoding,
            ObjectMeta::Encoding::kUnknown);
  EXPECT_TRUE(ReadObjectMeta("{\"metadata\":5}").owner_uids.empty());
}

}  // namespace
}  // namespace k8s

namespace k8s {
namespace {

// A Pod in the protobuf envelope whose spec sets nodeName (PodSpec field 10) among others.
std::string ProtobufPod(const std::string& kind, const std::string& node_name) {
  std::string meta;
  testing_values::AppendBytes(meta, 1, "web-1");
  std::string spec;
  testing_values::AppendBytes(spec, 8, "default");  // serviceAccountName
  if (!node_name.empty()) testing_values::AppendBytes(spec, 10, node_name);
  std::string object;
  testing_values::AppendBytes(object, 1, meta);
  testing_values::AppendBytes(object, 2, spec);
  std::string type_meta;
  testing_values::AppendBytes(type_meta, 1, "v1");
  testing_values::AppendBytes(type_meta, 2, kind);
  std::string unknown;
  testing_values::AppendBytes(unknown, 1, type_meta);
  testing_values::AppendBytes(unknown, 2, object);
  return std::string(kProtobufMagic) + unknown;
}

TEST(PodNodeNameTest, ReadsJson) {
  EXPECT_EQ(ReadPodNodeName(R"({"kind":"Pod","metadata":{"name":"a"},"spec":{"nodeName":"n1"}})"),
            "n1");
  EXPECT_EQ(ReadPodNodeName(R"({"kind":"Pod","spec":{"containers":[]}})"), "");
  EXPECT_EQ(ReadPodNodeName(R"({"kind":"Service","spec":{"nodeName":"n1"}})"), "");
  EXPECT_EQ(ReadPodNodeName(R"({"spec":{"nodeName":5}})"), "");
}

TEST(PodNodeNameTest, ReadsTheProtobufEnvelope) {
  EXPECT_EQ(ReadPodNodeName(ProtobufPod("Pod", "node-7")), "node-7");
  EXPECT_EQ(ReadPodNodeName(ProtobufPod("Pod", "")), "");
  EXPECT_EQ(ReadPodNodeName(ProtobufPod("ConfigMap", "node-7")), "");
}

TEST(PodNodeNameTest, GarbageEncryptedAndTruncatedAreUnbound) {
  EXPECT_EQ(ReadPodNodeName("k8s:enc:aescbc:v1:key1:\x01\x02"), "");
  EXPECT_EQ(ReadPodNodeName("not json"), "");
  EXPECT_EQ(ReadPodNodeName(""), "");
  const std::string pod = ProtobufPod("Pod", "node-7");
  for (size_t cut = 0; cut < pod.size(); ++cut) {
    // Any prefix decodes to nothing or stops cleanly; never reads past the value.
    (void)ReadPodNodeName(std::string_view(pod).substr(0, cut));
  }
  // A spec that is not a PodSpec (the generic test object's "spec-bytes").
  EXPECT_EQ(ReadPodNodeName(testing_values::ProtobufObject("v1", "Pod", "a", "ns", "u", {})), "");
}

}  // namespace
}  // namespace k8s
