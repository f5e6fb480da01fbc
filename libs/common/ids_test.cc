#include "libs/common/ids.h"

#include "gtest/gtest.h"

namespace complaints::common {
namespace {

TEST(IdsTest, MurmurHash3MatchesReferenceVectors) {
  // Reference values of MurmurHash3_x64_128 with seed 0.
  const Hash128 empty = StableHash128("");
  EXPECT_EQ(empty.h1, 0u);
  EXPECT_EQ(empty.h2, 0u);
  const Hash128 hello = StableHash128("hello");
  EXPECT_EQ(hello.h1, 0xcbd8a7b341bd9b02ULL);
  EXPECT_EQ(hello.h2, 0x5b1e906a48ae1d19ULL);
}

TEST(IdsTest, DeterministicIdIsStableAndSeparatesParts) {
  EXPECT_EQ(DeterministicId({"a", "b"}), DeterministicId({"a", "b"}));
  EXPECT_NE(DeterministicId({"ab", "c"}), DeterministicId({"a", "bc"}));
  EXPECT_EQ(DeterministicId({"x"}).size(), 32u);
}

TEST(IdsTest, ComplaintIdDependsOnSourceAndExternalId) {
  const std::string id = ComplaintIdFor("ivr-95533", "call-1");
  EXPECT_EQ(id, ComplaintIdFor("ivr-95533", "call-1"));
  EXPECT_NE(id, ComplaintIdFor("ivr-95533", "call-2"));
  EXPECT_NE(id, ComplaintIdFor("branch", "call-1"));
  EXPECT_EQ(id.rfind("CMP", 0), 0u);
  EXPECT_EQ(id.size(), 23u);
}

}  // namespace
}  // namespace complaints::common
