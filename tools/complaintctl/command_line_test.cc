#include "tools/complaintctl/command_line.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace complaints::complaintctl {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const VerbSpec kRedrive{.words = "dlq redrive",
                        .positional = "<topic>",
                        .min_positional = 1,
                        .max_positional = 1,
                        .summary = "Re-drive.",
                        .flags = {{.name = "at", .value_name = "P:O", .help = "", .repeated = true},
                                  {.name = "note", .value_name = "TEXT", .help = ""},
                                  {.name = "all-pending", .value_name = "", .help = ""}}};

TEST(ParseArgumentsTest, TakesValuesSwitchesAndPositionals) {
  auto parsed = ParseArguments({"t.v1", "--at", "1:2", "--at=3:4", "--note", "fixed", "--all-pending"},
                               kRedrive);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_THAT(parsed->positional, ElementsAre("t.v1"));
  EXPECT_THAT(parsed->All("at"), ElementsAre("1:2", "3:4"));
  EXPECT_EQ(parsed->Get("note"), "fixed");
  EXPECT_TRUE(parsed->Has("all-pending"));
  EXPECT_EQ(parsed->Get("missing", "fallback"), "fallback");
}

TEST(ParseArgumentsTest, HelpNeedsNoRequiredArgument) {
  auto parsed = ParseArguments({"--help"}, kRedrive);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->help);
}

TEST(ParseArgumentsTest, ErrorsNameTheFlagAndPointToHelp) {
  const struct {
    std::vector<std::string> args;
    std::string expected;
  } cases[] = {
      {{"t", "--nope"}, "unknown flag --nope for `dlq redrive`"},
      {{"t", "--note"}, "--note needs a value (TEXT)"},
      {{"t", "--note", "a", "--note", "b"}, "--note is given twice"},
      {{"t", "--all-pending=yes"}, "--all-pending is a switch"},
      {{}, "`dlq redrive` needs <topic>"},
      {{"t", "u"}, "unexpected argument \"u\""},
  };
  for (const auto& c : cases) {
    auto parsed = ParseArguments(c.args, kRedrive);
    ASSERT_FALSE(parsed.ok()) << c.expected;
    EXPECT_THAT(parsed.status().message(), HasSubstr(c.expected));
    EXPECT_THAT(parsed.status().message(), HasSubstr("complaintctl dlq redrive --help"));
  }
}

TEST(HelpTextTest, ListsUsageAndEveryFlag) {
  const std::string help = HelpText(kRedrive);
  EXPECT_THAT(help, HasSubstr("usage: complaintctl dlq redrive [flags] <topic>"));
  EXPECT_THAT(help, HasSubstr("--at P:O"));
  EXPECT_THAT(help, HasSubstr("(may be repeated)"));
  EXPECT_THAT(help, HasSubstr("--all-pending"));
}

}  // namespace
}  // namespace complaints::complaintctl
