#include "runtime/state.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/fs.h"
#include "base/test_support.h"

namespace berth::runtime {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A pipe whose ends close on destruction.
struct Pipe {
    UniqueFd read, write;
    Pipe() {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) < 0) std::abort();
        read.reset(fds[0]);
        write.reset(fds[1]);
    }
};

// Waits up to timeout_ms for one byte on fd; nullopt on timeout, '\0' on EOF.
std::optional<char> read_byte(int fd, int timeout_ms) {
    pollfd p{fd, POLLIN, 0};
    int n;
    do {
        n = ::poll(&p, 1, timeout_ms);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) return std::nullopt;
    char c = 0;
    ssize_t got;
    do {
        got = ::read(fd, &c, 1);
    } while (got < 0 && errno == EINTR);
    return got == 1 ? c : '\0';
}

void write_byte(int fd, char c) {
    while (::write(fd, &c, 1) < 0 && errno == EINTR) {
    }
}

// Failure bound for waits that should end at once; never used to order events.
constexpr int kPatienceMs = 10000;

// A forked child running `body`, whose return value becomes its exit status. The child never
// returns into the test framework. Killed and reaped on destruction if still around.
class Child {
  public:
    explicit Child(const std::function<int()>& body) {
        pid_ = ::fork();
        if (pid_ < 0) std::abort();
        if (pid_ == 0) ::_exit(body());
    }
    ~Child() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            (void)wait();
        }
    }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    pid_t pid() const { return pid_; }
    // Reaps the child; its exit status, or -1 if it did not exit normally.
    int wait() {
        int status = 0;
        pid_t r;
        do {
            r = ::waitpid(pid_, &status, 0);
        } while (r < 0 && errno == EINTR);
        pid_ = -1;
        if (r < 0 || !WIFEXITED(status)) return -1;
        return WEXITSTATUS(status);
    }

  private:
    pid_t pid_ = -1;
};

mode_t mode_of(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) < 0) return 0;
    return st.st_mode;
}

class StateStoreTest : public ::testing::Test {
  protected:
    TempDir tmp_;
    StateStore store_{tmp_ / "state"};
};

TEST_F(StateStoreTest, CreateMakesTheDirectory) {
    auto c = store_.create("c1");
    ASSERT_TRUE(c) << c.error().message();
    EXPECT_EQ(c->dir(), tmp_ / "state/c1");
    EXPECT_TRUE(S_ISDIR(mode_of(tmp_ / "state/c1")));
    EXPECT_GE(c->lock_fd(), 0);
    EXPECT_EQ(c->path("state.json"), tmp_ / "state/c1/state.json");
    // The root holds every container's state: nobody else may list or read it.
    mode_t root_mode = mode_of(tmp_ / "state");
    EXPECT_TRUE(S_ISDIR(root_mode));
    EXPECT_EQ(root_mode & 077, 0u);
}

TEST_F(StateStoreTest, CreateMakesMissingParents) {
    StateStore deep(tmp_ / "a/b/c");
    auto c = deep.create("x");
    ASSERT_TRUE(c) << c.error().message();
    EXPECT_TRUE(S_ISDIR(mode_of(tmp_ / "a/b/c/x")));
}

TEST_F(StateStoreTest, SecondCreateOfTheSameIdIsAlreadyExists) {
    {
        auto first = store_.create("dup");
        ASSERT_TRUE(first) << first.error().message();
        // Even while the first holds the lock, the answer comes at once: mkdir decides.
        auto second = store_.create("dup");
        ASSERT_FALSE(second);
        EXPECT_EQ(second.error().kind(), ErrorKind::AlreadyExists);
        EXPECT_THAT(second.error().message(), HasSubstr("\"dup\""));
    }
    // With the lock released and the directory still there.
    auto third = store_.create("dup");
    ASSERT_FALSE(third);
    EXPECT_EQ(third.error().kind(), ErrorKind::AlreadyExists);
}

TEST_F(StateStoreTest, OpenOfAMissingIdIsNotFound) {
    auto missing = store_.open("nope");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().kind(), ErrorKind::NotFound);
    EXPECT_THAT(missing.error().message(), HasSubstr("\"nope\""));

    ASSERT_TRUE(store_.create("other"));
    missing = store_.open("nope");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().kind(), ErrorKind::NotFound);
}

TEST_F(StateStoreTest, OpenFindsWhatCreateMade) {
    {
        auto c = store_.create("c1");
        ASSERT_TRUE(c) << c.error().message();
    }
    auto o = store_.open("c1");
    ASSERT_TRUE(o) << o.error().message();
    EXPECT_EQ(o->dir(), tmp_ / "state/c1");
}

TEST_F(StateStoreTest, InvalidIdsAreRejected) {
    // A directory one level up that a traversing id would hit.
    ASSERT_TRUE(mkdir_all(tmp_ / "b"));
    ASSERT_TRUE(mkdir_all(tmp_ / "state/a/b"));
    for (std::string id :
         std::vector<std::string>{"", ".", "..", "a/b", "../b", "x y", "/abs", "a\nb", "tab\t", "é",
                                  std::string("nul\0x", 5), std::string(256, 'a')}) {
        SCOPED_TRACE(id);
        auto created = store_.create(id);
        ASSERT_FALSE(created);
        EXPECT_EQ(created.error().kind(), ErrorKind::InvalidArgument);
        auto opened = store_.open(id);
        ASSERT_FALSE(opened);
        EXPECT_EQ(opened.error().kind(), ErrorKind::InvalidArgument);
        EXPECT_FALSE(validate_container_id(id));
    }
    EXPECT_THAT(store_.list().value(), ElementsAre("a"));
}

TEST_F(StateStoreTest, ValidIds) {
    for (std::string id : std::vector<std::string>{"a", "abc-123", "A_b.c+d", "...", ".hidden",
                                                   std::string(255, 'z')}) {
        SCOPED_TRACE(id.substr(0, 20));
        EXPECT_TRUE(validate_container_id(id));
        auto c = store_.create(id);
        EXPECT_TRUE(c) << c.error().message();
    }
    EXPECT_TRUE(validate_container_id(std::string(255, 'z')));
}

TEST_F(StateStoreTest, SaveAndLoadRoundTrip) {
    ContainerRecord r;
    r.id = "round";
    r.pid = 4242;
    r.pid_start_time = 123456789012345ull;
    r.bundle = "/srv/bundles/round";
    r.rootfs = "/srv/bundles/round/rootfs";
    r.created = "2024-05-01T12:34:56.123456789Z";
    r.owner = 1000;
    r.annotations = {{"org.example/key", "value"}, {"empty", ""}};
    r.detached_from_fifo = true;
    {
        auto c = store_.create("round");
        ASSERT_TRUE(c) << c.error().message();
        auto saved = c->save(r);
        ASSERT_TRUE(saved) << saved.error().message();
    }
    EXPECT_EQ(mode_of(tmp_ / "state/round/state.json") & 0777, 0600u);

    auto c = store_.open("round");
    ASSERT_TRUE(c) << c.error().message();
    auto loaded = c->load();
    ASSERT_TRUE(loaded) << loaded.error().message();
    EXPECT_EQ(loaded->id, r.id);
    EXPECT_EQ(loaded->pid, r.pid);
    EXPECT_EQ(loaded->pid_start_time, r.pid_start_time);
    EXPECT_EQ(loaded->bundle, r.bundle);
    EXPECT_EQ(loaded->rootfs, r.rootfs);
    EXPECT_EQ(loaded->created, r.created);
    EXPECT_EQ(loaded->owner, r.owner);
    EXPECT_EQ(loaded->annotations, r.annotations);
    EXPECT_EQ(loaded->detached_from_fifo, r.detached_from_fifo);
}

TEST_F(StateStoreTest, SaveReplacesTheEarlierRecord) {
    auto c = store_.create("again");
    ASSERT_TRUE(c) << c.error().message();
    ContainerRecord r;
    r.id = "again";
    r.pid = 1;
    ASSERT_TRUE(c->save(r));
    r.pid = 2;
    r.annotations = {{"k", "v"}};
    ASSERT_TRUE(c->save(r));
    auto loaded = c->load();
    ASSERT_TRUE(loaded) << loaded.error().message();
    EXPECT_EQ(loaded->pid, 2);
    EXPECT_EQ(loaded->annotations.at("k"), "v");
}

TEST_F(StateStoreTest, LoadWithoutStateIsAnError) {
    auto c = store_.create("empty");
    ASSERT_TRUE(c) << c.error().message();
    auto loaded = c->load();
    ASSERT_FALSE(loaded);
    EXPECT_EQ(loaded.error().kind(), ErrorKind::NotFound);
}

TEST_F(StateStoreTest, LoadOfABrokenStateIsAnError) {
    auto c = store_.create("broken");
    ASSERT_TRUE(c) << c.error().message();
    ASSERT_TRUE(write_file(c->path("state.json"), "{\"pid\": \"not a number\"}"));
    EXPECT_FALSE(c->load());
    ASSERT_TRUE(write_file(c->path("state.json"), "{not json"));
    EXPECT_FALSE(c->load());
}

TEST(ContainerRecordJson, MissingFieldsKeepDefaults) {
    auto r = record_from_json(Json::parse(R"({"id": "x"})"));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->id, "x");
    EXPECT_EQ(r->pid, 0);
    EXPECT_EQ(r->pid_start_time, 0u);
    EXPECT_TRUE(r->annotations.empty());
    EXPECT_FALSE(r->detached_from_fifo);
}

TEST_F(StateStoreTest, ListIsSortedAndHoldsOnlyContainers) {
    for (const char* id : {"b", "a", "c-1", "C", "a0"})
        ASSERT_TRUE(store_.create(id));
    ASSERT_TRUE(write_file(tmp_ / "state/stray-file", "x"));
    auto ids = store_.list();
    ASSERT_TRUE(ids) << ids.error().message();
    EXPECT_THAT(*ids, ElementsAre("C", "a", "a0", "b", "c-1"));
}

TEST_F(StateStoreTest, ListOfAMissingRootIsEmpty) {
    auto ids = store_.list();
    ASSERT_TRUE(ids) << ids.error().message();
    EXPECT_THAT(*ids, IsEmpty());
}

TEST_F(StateStoreTest, DestroyRemovesTheDirectory) {
    auto c = store_.create("gone");
    ASSERT_TRUE(c) << c.error().message();
    ASSERT_TRUE(c->save(ContainerRecord{.id = "gone"}));
    ASSERT_EQ(::mkfifo(c->path("exec.fifo").c_str(), 0600), 0);
    ASSERT_TRUE(mkdir_all(c->path("sub/dir")));
    auto destroyed = c->destroy();
    ASSERT_TRUE(destroyed) << destroyed.error().message();
    EXPECT_FALSE(path_exists(tmp_ / "state/gone"));
    EXPECT_TRUE(path_exists(tmp_ / "state")) << "only the container's own directory goes";

    auto opened = store_.open("gone");
    ASSERT_FALSE(opened);
    EXPECT_EQ(opened.error().kind(), ErrorKind::NotFound);
    EXPECT_THAT(store_.list().value(), IsEmpty());
    // The id is free again.
    EXPECT_TRUE(store_.create("gone"));
}

TEST_F(StateStoreTest, DestroyLeavesOtherContainersAlone) {
    ASSERT_TRUE(store_.create("keep"));
    auto c = store_.create("drop");
    ASSERT_TRUE(c) << c.error().message();
    ASSERT_TRUE(c->destroy());
    EXPECT_THAT(store_.list().value(), ElementsAre("keep"));
}

// status() -----------------------------------------------------------------------------------

class StatusTest : public StateStoreTest {
  protected:
    void SetUp() override {
        auto c = store_.create("s");
        ASSERT_TRUE(c) << c.error().message();
        container_.emplace(std::move(*c));
    }
    ContainerRecord record_of(pid_t pid, uint64_t start) {
        ContainerRecord r;
        r.id = "s";
        r.pid = pid;
        r.pid_start_time = start;
        return r;
    }
    std::optional<LockedContainer> container_;
};

TEST_F(StatusTest, NoPidYetIsCreating) {
    EXPECT_EQ(container_->status(record_of(0, 0)), Status::Creating);
    EXPECT_EQ(container_->status(record_of(-1, 0)), Status::Creating);
}

TEST_F(StatusTest, LiveProcessWithTheRightStartTimeIsRunning) {
    uint64_t start = process_start_time(::getpid());
    ASSERT_GT(start, 0u);
    EXPECT_EQ(container_->status(record_of(::getpid(), start)), Status::Running);
}

TEST_F(StatusTest, ExecFifoMeansCreated) {
    ASSERT_EQ(::mkfifo(container_->path("exec.fifo").c_str(), 0600), 0);
    uint64_t start = process_start_time(::getpid());
    EXPECT_EQ(container_->status(record_of(::getpid(), start)), Status::Created);
    ASSERT_EQ(::unlink(container_->path("exec.fifo").c_str()), 0);
    EXPECT_EQ(container_->status(record_of(::getpid(), start)), Status::Running);
}

TEST_F(StatusTest, WrongStartTimeIsStopped) {
    uint64_t start = process_start_time(::getpid());
    ASSERT_GT(start, 0u);
    // The pid was reused by some other process.
    EXPECT_EQ(container_->status(record_of(::getpid(), start + 1)), Status::Stopped);
    EXPECT_EQ(container_->status(record_of(::getpid(), 0)), Status::Stopped);
    // A dead init with its exec.fifo left behind is still stopped, not created.
    ASSERT_EQ(::mkfifo(container_->path("exec.fifo").c_str(), 0600), 0);
    EXPECT_EQ(container_->status(record_of(::getpid(), start + 1)), Status::Stopped);
}

TEST_F(StatusTest, ExitedAndReapedProcessIsStopped) {
    Pipe go;
    Child child([&] {
        go.write.reset();
        (void)read_byte(go.read.get(), -1);  // EOF when the parent closes its end
        return 0;
    });
    go.read.reset();
    uint64_t start = process_start_time(child.pid());
    ASSERT_GT(start, 0u);
    ContainerRecord r = record_of(child.pid(), start);
    EXPECT_EQ(container_->status(r), Status::Running);

    go.write.reset();
    EXPECT_EQ(child.wait(), 0);
    EXPECT_EQ(process_start_time(r.pid), 0u);
    EXPECT_EQ(container_->status(r), Status::Stopped);
}

// process_start_time() -----------------------------------------------------------------------

TEST(ProcessStartTime, OfOurselvesIsPositiveAndStable) {
    uint64_t start = process_start_time(::getpid());
    EXPECT_GT(start, 0u);
    EXPECT_EQ(process_start_time(::getpid()), start);
}

TEST(ProcessStartTime, OfANonexistentPidIsZero) {
    EXPECT_EQ(process_start_time(INT_MAX), 0u);  // above any pid_max
    EXPECT_EQ(process_start_time(0), 0u);
    EXPECT_EQ(process_start_time(-1), 0u);
}

TEST(ProcessStartTime, AChildStartsNoEarlierThanWe) {
    Pipe go;
    Child child([&] {
        go.write.reset();
        (void)read_byte(go.read.get(), -1);
        return 0;
    });
    go.read.reset();
    EXPECT_GE(process_start_time(child.pid()), process_start_time(::getpid()));
    go.write.reset();
    EXPECT_EQ(child.wait(), 0);
}

TEST(ProcessStartTime, AZombieCountsAsGone) {
    Child child([] { return 7; });
    siginfo_t info{};
    // Wait for the exit without reaping: the child stays a zombie.
    ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(child.pid()), &info, WEXITED | WNOWAIT), 0);
    EXPECT_EQ(process_start_time(child.pid()), 0u);
    EXPECT_TRUE(path_exists("/proc/" + std::to_string(child.pid()) + "/stat"))
        << "still a zombie, not reaped";
    EXPECT_EQ(child.wait(), 7);
}

// The command name may hold spaces and parentheses; it must not shift the fields after it.
TEST(ProcessStartTime, CommandNameWithParenthesesAndSpaces) {
    Pipe go, ready;
    Child child([&] {
        go.write.reset();
        ready.read.reset();
        if (read_byte(go.read.get(), -1) != 'g') return 1;
        ::prctl(PR_SET_NAME, "x) Z 1 2 (y)", 0, 0, 0);
        write_byte(ready.write.get(), 'r');
        (void)read_byte(go.read.get(), -1);
        return 0;
    });
    go.read.reset();
    ready.write.reset();
    uint64_t before = process_start_time(child.pid());
    ASSERT_GT(before, 0u);
    write_byte(go.write.get(), 'g');
    ASSERT_EQ(read_byte(ready.read.get(), kPatienceMs), 'r');
    auto comm = read_file("/proc/" + std::to_string(child.pid()) + "/comm");
    ASSERT_TRUE(comm);
    EXPECT_EQ(*comm, "x) Z 1 2 (y)\n");
    EXPECT_EQ(process_start_time(child.pid()), before);
    go.write.reset();
    EXPECT_EQ(child.wait(), 0);
}

// The lock ---------------------------------------------------------------------------------

// A child that opens container `id` and reports over `to_parent`: 'w' just before open(), then
// 'o' when it got the lock, 'n' for NotFound, 'e' for another error.
std::function<int()> open_in_child(const StateStore& store, const std::string& id, int held_lock,
                                   Pipe& to_parent) {
    return [&store, id, held_lock, &to_parent] {
        // The copy of the parent's lock fd shares its open file, and with it the flock.
        ::close(held_lock);
        to_parent.read.reset();
        write_byte(to_parent.write.get(), 'w');
        auto opened = store.open(id);
        char verdict = opened ? 'o' : opened.error().kind() == ErrorKind::NotFound ? 'n' : 'e';
        write_byte(to_parent.write.get(), verdict);
        return 0;
    };
}

TEST_F(StateStoreTest, OpenWaitsWhileAnotherHoldsTheLock) {
    auto created = store_.create("locked");
    ASSERT_TRUE(created) << created.error().message();
    std::optional<LockedContainer> held(std::move(*created));

    Pipe to_parent;
    Child child(open_in_child(store_, "locked", held->lock_fd(), to_parent));
    to_parent.write.reset();

    ASSERT_EQ(read_byte(to_parent.read.get(), kPatienceMs), 'w');
    // The child is in open() or about to be; it must not get through while we hold the lock.
    EXPECT_EQ(read_byte(to_parent.read.get(), 300), std::nullopt);

    held.reset();  // release
    EXPECT_EQ(read_byte(to_parent.read.get(), kPatienceMs), 'o');
    EXPECT_EQ(child.wait(), 0);
}

TEST_F(StateStoreTest, OpenThatWaitedForADestroyedContainerIsNotFound) {
    auto created = store_.create("doomed");
    ASSERT_TRUE(created) << created.error().message();
    std::optional<LockedContainer> held(std::move(*created));

    Pipe to_parent;
    Child child(open_in_child(store_, "doomed", held->lock_fd(), to_parent));
    to_parent.write.reset();

    ASSERT_EQ(read_byte(to_parent.read.get(), kPatienceMs), 'w');
    EXPECT_EQ(read_byte(to_parent.read.get(), 300), std::nullopt);

    ASSERT_TRUE(held->destroy());
    EXPECT_EQ(read_byte(to_parent.read.get(), kPatienceMs), 'n');
    EXPECT_EQ(child.wait(), 0);
}

TEST_F(StateStoreTest, LocksOfDifferentContainersAreIndependent) {
    auto a = store_.create("a");
    ASSERT_TRUE(a) << a.error().message();
    ASSERT_TRUE(store_.create("b"));

    Pipe to_parent;
    Child child(open_in_child(store_, "b", a->lock_fd(), to_parent));
    to_parent.write.reset();
    ASSERT_EQ(read_byte(to_parent.read.get(), kPatienceMs), 'w');
    EXPECT_EQ(read_byte(to_parent.read.get(), kPatienceMs), 'o');
    EXPECT_EQ(child.wait(), 0);
}

TEST(StatusNames, ToString) {
    EXPECT_EQ(to_string(Status::Creating), "creating");
    EXPECT_EQ(to_string(Status::Created), "created");
    EXPECT_EQ(to_string(Status::Running), "running");
    EXPECT_EQ(to_string(Status::Paused), "paused");
    EXPECT_EQ(to_string(Status::Stopped), "stopped");
}

TEST(Rfc3339Now, ShapeIsUtcWithNanoseconds) {
    std::string now = rfc3339_now();
    // 2024-05-01T12:34:56.123456789Z
    ASSERT_EQ(now.size(), 30u) << now;
    EXPECT_EQ(now[4], '-');
    EXPECT_EQ(now[7], '-');
    EXPECT_EQ(now[10], 'T');
    EXPECT_EQ(now[13], ':');
    EXPECT_EQ(now[16], ':');
    EXPECT_EQ(now[19], '.');
    EXPECT_EQ(now.back(), 'Z');
}

}  // namespace
}  // namespace berth::runtime
