#include "base/failpoint.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include <gtest/gtest.h>

namespace berth {
namespace {

// Runs failpoint(name) in a child with BERTH_FAILPOINT=list; returns its wait status.
int status_of_child_at(const char* list, std::string_view name) {
    pid_t pid = ::fork();
    if (pid == 0) {
        if (list != nullptr) {
            ::setenv("BERTH_FAILPOINT", list, 1);
        } else {
            ::unsetenv("BERTH_FAILPOINT");
        }
        failpoint(name);
        ::_exit(0);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return status;
}

TEST(Failpoint, NamedPointKillsWithSigkill) {
    int status = status_of_child_at("create.after-record", "create.after-record");
    ASSERT_TRUE(WIFSIGNALED(status));
    EXPECT_EQ(WTERMSIG(status), SIGKILL);
}

TEST(Failpoint, AnyEntryOfTheListKills) {
    int status = status_of_child_at("rm.after-mark-removing,start.after-runtime-create",
                                    "start.after-runtime-create");
    ASSERT_TRUE(WIFSIGNALED(status));
    EXPECT_EQ(WTERMSIG(status), SIGKILL);
}

TEST(Failpoint, UnnamedPointDoesNothing) {
    for (const char* list : {static_cast<const char*>(nullptr), "", "create.after-record", "create",
                             "create.after-record-x"}) {
        int status = status_of_child_at(list, "create.after-recor");
        ASSERT_TRUE(WIFEXITED(status)) << (list ? list : "(unset)");
        EXPECT_EQ(WEXITSTATUS(status), 0);
    }
}

TEST(Failpoint, ListNamesOnlyWholeEntries) {
    EXPECT_TRUE(failpoint_list_names("a.b", "a.b"));
    EXPECT_TRUE(failpoint_list_names("x,a.b,y", "a.b"));
    EXPECT_FALSE(failpoint_list_names("a.bc,xa.b", "a.b"));
    EXPECT_FALSE(failpoint_list_names("", "a.b"));
    EXPECT_FALSE(failpoint_list_names(",", "a.b"));
}

}  // namespace
}  // namespace berth
