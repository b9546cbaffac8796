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
