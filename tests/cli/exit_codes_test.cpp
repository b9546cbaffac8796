// The one exit-code table: every code 0..13 present once, each with its own meaning.
#include "common/exit_codes.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace {

TEST(ExitCodesTest, TableIsCompleteAndCodesAreUnique) {
  std::set<int> codes(exit_code::kAll.begin(), exit_code::kAll.end());
  EXPECT_EQ(codes.size(), exit_code::kAll.size()) << "a code appears twice";
  for (int code = 0; code < static_cast<int>(exit_code::kAll.size()); ++code) {
    EXPECT_EQ(exit_code::kAll[code], code) << "the table skips or reorders code " << code;
  }
}

TEST(ExitCodesTest, EveryCodeHasItsOwnMeaning) {
  std::set<std::string> meanings;
  for (int code : exit_code::kAll) {
    const std::string meaning(exit_code::ExitMeaning(code));
    EXPECT_FALSE(meaning.empty()) << "code " << code << " has no meaning";
    EXPECT_TRUE(meanings.insert(meaning).second) << "code " << code << " repeats a meaning";
  }
  EXPECT_EQ(exit_code::ExitMeaning(-1), "");
  EXPECT_EQ(exit_code::ExitMeaning(14), "");
}

TEST(ExitCodesTest, NamedCodesHaveTheDecidedNumbers) {
  static_assert(exit_code::kOk == 0 && exit_code::kFailed == 1 && exit_code::kUsage == 2 &&
                exit_code::kInvalidInput == 3 && exit_code::kAuthRefused == 4 &&
                exit_code::kRegistryUnreachable == 5 && exit_code::kClusterUnreachable == 6 &&
                exit_code::kPreflightFailed == 7 && exit_code::kPreflightRetry == 8 &&
                exit_code::kImagesMissing == 9 && exit_code::kBlocked == 10 &&
                exit_code::kWaitingConfirm == 11 && exit_code::kInProgress == 12 &&
                exit_code::kTimedOut == 13);
  EXPECT_EQ(exit_code::ExitMeaning(exit_code::kBlocked).substr(0, 8), "blocked:");
}

}  // namespace
