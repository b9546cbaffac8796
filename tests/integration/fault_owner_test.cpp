// No test server outlives its test (issue 17): an etcd member started with --owner-pid stops
// when its owner is SIGKILLed, whether the owner is left a zombie (not reaped: kill -0 still
// succeeds on it) or its whole process group is killed (which used to take the owner watch
// down with it, leaving the member running).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "support/etcd_member.h"
#include "support/temp_dir.h"

namespace testing_support {
namespace {

using namespace std::chrono_literals;

bool Gone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  if (text.empty()) return true;
  const size_t close = text.rfind(") ");
  return close != std::string::npos && text[close + 2] == 'Z';
}

bool WaitGone(pid_t pid, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!Gone(pid)) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(100ms);
  }
  return true;
}

std::string StartCommand(const std::string& dir, pid_t owner) {
  return std::string(PROJECT_SOURCE_DIR) + "/scripts/etcd-member.sh start '" + dir +
         "' owned --owner-pid " + std::to_string(owner);
}

pid_t MemberPid(const std::string& dir) {
  std::ifstream in(dir + "/owned.pid");
  pid_t pid = -1;
  in >> pid;
  return pid;
}

class OwnerWatchTest : public ::testing::Test {
 protected:
  ~OwnerWatchTest() override {
    if (member_ > 0 && !Gone(member_)) kill(member_, SIGKILL);  // the test failed: clean up
  }
  TempDir dir_;
  pid_t member_ = -1;
};

TEST_F(OwnerWatchTest, AMemberStopsWhenItsOwnerIsKilledAndLeftAZombie) {
  const pid_t owner = fork();
  if (owner == 0) {
    pause();
    _exit(0);
  }
  ASSERT_GT(owner, 0);
  RunScript(StartCommand(dir_.path(), owner));
  member_ = MemberPid(dir_.path());
  ASSERT_GT(member_, 0);
  ASSERT_FALSE(Gone(member_));
  kill(owner, SIGKILL);  // not reaped until the end: a zombie
  EXPECT_TRUE(WaitGone(member_, 30s)) << "etcd outlived its killed owner";
  waitpid(owner, nullptr, 0);
}

TEST_F(OwnerWatchTest, AMemberStopsWhenItsOwnersProcessGroupIsKilled) {
  const std::string ready = dir_.File("ready");
  const pid_t owner = fork();
  if (owner == 0) {
    setpgid(0, 0);  // the owner leads a group; the start script runs inside it
    if (std::system((StartCommand(dir_.path(), getpid()) + " >/dev/null 2>&1").c_str()) != 0) {
      _exit(1);
    }
    std::ofstream(ready) << "ready";
    pause();
    _exit(0);
  }
  ASSERT_GT(owner, 0);
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!std::ifstream(ready) && std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(owner, &status, WNOHANG) == owner) FAIL() << "the member did not start";
    std::this_thread::sleep_for(50ms);
  }
  member_ = MemberPid(dir_.path());
  ASSERT_GT(member_, 0);
  kill(-owner, SIGKILL);  // the whole group, as a runner's timeout or kill -9 -<pgid> does
  waitpid(owner, nullptr, 0);
  EXPECT_TRUE(WaitGone(member_, 30s)) << "etcd outlived its killed owner's process group";
}

}  // namespace
}  // namespace testing_support
