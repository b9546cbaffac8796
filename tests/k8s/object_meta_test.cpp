#include "k8s/object_meta.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <gtest/gtest.h>

#include <random>

#include "support/json_meta_reference.h"
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

// The streaming JSON readers agree with a whole parsed document on values built to trip a
// reader that tracks its place by depth: repeated keys (the last wins), fields of the wrong
// type, the same names at other depths, escapes, arrays at the root, trailing garbage.
// JSON values are read by simdjson, and what it refuses by nlohmann's SAX parser. A member
// holding an integer past 64 bits (nlohmann accepts it, simdjson does not) sends a value down
// the second path, so each table runs through both.
std::string WithIntegerPast64Bits(const std::string& value) {
  if (value.size() < 2 || value.front() != '{') return value;
  return R"({"big":123456789012345678901234567890,)" + value.substr(1);
}

TEST(JsonReadersTest, AgreeWithAParsedDocument) {
  const std::vector<std::string> values = {
      R"({"metadata":{"name":"a","namespace":"n","uid":"u","ownerReferences":[{"uid":"o1"},{"uid":"o2"}]}})",
      R"({"metadata":{"name":"a","uid":"u"},"metadata":{"name":"b"}})",
      R"({"metadata":{"name":"a","uid":"u"},"metadata":5})",
      R"({"metadata":5,"metadata":{"name":"b"}})",
      R"({"metadata":{"name":"a","name":{"x":1}}})",
      R"({"metadata":{"name":{"x":1},"name":"b"}})",
      R"({"metadata":{"uid":["u"],"namespace":null}})",
      R"({"metadata":{"ownerReferences":[{"uid":"o1","uid":"o2"},{"uid":"o3","uid":7}]}})",
      R"({"metadata":{"ownerReferences":[{"uid":"o1","uid":{"a":"b"}},{"uid":{"a":"b"},"uid":"o4"}]}})",
      R"({"metadata":{"ownerReferences":[{"uid":"o1"}],"ownerReferences":[{"uid":"o2"}]}})",
      R"({"metadata":{"ownerReferences":[{"uid":"o1"}],"ownerReferences":{"uid":"o2"}}})",
      R"({"metadata":{"ownerReferences":[{"uid":"o1"}],"ownerReferences":"none"}})",
      R"({"metadata":{"ownerReferences":["o1",["o2"],{"x":{"uid":"deep"}},{"uid":"o3"}]}})",
      R"({"spec":{"metadata":{"name":"nested"}},"metadata":{"name":"top"}})",
      R"({"items":[{"metadata":{"name":"in-array"}}]})",
      R"([{"metadata":{"name":"a"}}])",
      R"("metadata")",
      R"({"metadata":{"name":"a"}} trailing)",
      R"({"metadata":{"name":"a"})",
      R"({"meta\u0064ata":{"n\u0061me":"escaped","uid":"\u00e9"}})",
      R"({})",
      R"({"kind":"Pod","spec":{"nodeName":"n1"}})",
      R"({"kind":"Pod","spec":{"nodeName":"n1"},"spec":{"containers":[]}})",
      R"({"kind":"Pod","spec":{"nodeName":"n1"},"spec":null})",
      R"({"kind":"Pod","spec":{"nodeName":"n1","nodeName":{"a":1}}})",
      R"({"kind":"Pod","spec":{"nodeName":{"a":1},"nodeName":"n2"}})",
      R"({"kind":"Pod","kind":"Service","spec":{"nodeName":"n1"}})",
      R"({"kind":"Service","kind":"Pod","spec":{"nodeName":"n1"}})",
      R"({"kind":{"a":"Pod"},"spec":{"nodeName":"n1"}})",
      R"({"kind":["Pod"],"kind":"Pod","spec":{"nodeName":"n1"}})",
      R"({"spec":{"template":{"spec":{"nodeName":"deep"}}}})",
      R"({"spec":{"node\u004eame":"escaped"}})",
      R"({"status":{"nodeName":"elsewhere"},"spec":{}})",
      R"({"spec":{"nodeName":"n1"}} x)",
      R"({"spec":[{"nodeName":"n1"}]})",
  };
  for (const std::string& value : values) {
    EXPECT_EQ(testing_support::JsonReadersDisagree(value), "") << value;
    const std::string slow = WithIntegerPast64Bits(value);
    EXPECT_EQ(testing_support::JsonReadersDisagree(slow), "") << slow;
  }
}

// What simdjson refuses and nlohmann accepts is read by the fallback, the same as a document.
TEST(JsonReadersTest, ValuesOnlyTheFallbackAcceptsReadTheSame) {
  const std::string meta = R"("metadata":{"name":"a","uid":"u","ownerReferences":[{"uid":"o"}]})";
  const std::string deep = std::string(2000, '[') + std::string(2000, ']');
  const std::string large(300 * 1024, 'x');
  const std::vector<std::string> values = {
      "{" + meta + R"(,"n":-123456789012345678901234567890})",
      "{" + meta + R"(,"n":18446744073709551616})",
      R"({"deep":)" + deep + "," + meta + "}",
      R"({"kind":"Pod","deep":)" + deep + R"(,"spec":{"nodeName":"n1"}})",
      R"({"data":")" + large + R"(",)" + meta + "}",
      R"({"kind":"Pod","data":")" + large + R"(","spec":{"nodeName":"n1"}})",
  };
  for (const std::string& value : values) {
    EXPECT_EQ(testing_support::JsonReadersDisagree(value), "") << value.substr(0, 80);
    EXPECT_EQ(ReadObjectMeta(value).encoding, ObjectMeta::Encoding::kJson) << value.substr(0, 80);
  }
  EXPECT_EQ(ReadObjectMeta(values[2]).owner_uids, std::vector<std::string>{"o"});
  EXPECT_EQ(ReadPodNodeName(values[5]), "n1");
}

// And on many random values over the same few names, nested at random.
TEST(JsonReadersTest, AgreeOnRandomValues) {
  std::mt19937 random(20261201);
  const std::vector<std::string> keys = {"metadata", "name",     "namespace",       "uid", "kind",
                                         "spec",     "nodeName", "ownerReferences", "x"};
  const std::vector<std::string> scalars = {R"("Pod")", R"("v")", "1", "null", "true", R"("")"};
  auto pick = [&](const std::vector<std::string>& from) {
    return from[std::uniform_int_distribution<size_t>(0, from.size() - 1)(random)];
  };
  // Builds a value without recursion: a stack of open containers.
  auto make = [&] {
    std::string out = "{";
    std::vector<char> open = {'}'};
    std::vector<bool> first = {true};
    int budget = 40;
    while (!open.empty()) {
      const int roll = std::uniform_int_distribution<int>(0, 9)(random);
      if (budget-- <= 0 || roll == 0) {
        out += open.back();
        open.pop_back();
        first.pop_back();
        continue;
      }
      if (!first.back()) out += ',';
      first.back() = false;
      if (open.back() == '}') out += '"' + pick(keys) + "\":";
      if (roll <= 3 && open.size() < 6) {
        const bool object = roll <= 2;
        out += object ? '{' : '[';
        open.push_back(object ? '}' : ']');
        first.push_back(true);
      } else {
        out += pick(scalars);
      }
    }
    return out;
  };
  for (int i = 0; i < 20000; ++i) {
    const std::string value = make();
    ASSERT_EQ(testing_support::JsonReadersDisagree(value), "") << value;
    const std::string slow = WithIntegerPast64Bits(value);
    ASSERT_EQ(testing_support::JsonReadersDisagree(slow), "") << slow;
  }
}

}  // namespace
}  // namespace k8s
