#include "base/socket_address.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "base/fs.h"

namespace berth {
namespace {

std::string make_temp_dir() {
    std::string tmpl = "/tmp/berth-socket-address-test-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
    return tmpl;
}

// Binds a listening socket at `path` through unix_socket_address.
UniqueFd listen_at(const std::string& path) {
    sockaddr_un address{};
    UniqueFd dir;
    if (!unix_socket_address(path, address, dir)) return {};
    UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (::bind(sock.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) < 0) return {};
    if (::listen(sock.get(), 1) < 0) return {};
    return sock;
}

bool connects_to(const std::string& path) {
    sockaddr_un address{};
    UniqueFd dir;
    if (!unix_socket_address(path, address, dir)) return false;
    UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    return ::connect(sock.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
}

TEST(UnixSocketAddress, AShortPathIsUsedAsItIs) {
    sockaddr_un address{};
    UniqueFd dir;
    ASSERT_TRUE(unix_socket_address("/run/berth/x.sock", address, dir));
    EXPECT_EQ(address.sun_family, AF_UNIX);
    EXPECT_STREQ(address.sun_path, "/run/berth/x.sock");
    EXPECT_FALSE(dir.valid());
}

TEST(UnixSocketAddress, ALongPathIsReachedThroughItsDirectory) {
    std::string root = make_temp_dir();
    std::string deep = join_path(root, std::string(120, 'd'));
    ASSERT_TRUE(mkdir_all(deep));
    std::string path = join_path(deep, "monitor.sock");
    ASSERT_GE(path.size(), sizeof(sockaddr_un{}.sun_path));

    UniqueFd listener = listen_at(path);
    ASSERT_TRUE(listener.valid()) << std::strerror(errno);
    EXPECT_TRUE(path_exists(path));
    EXPECT_TRUE(connects_to(path));
    ASSERT_TRUE(remove_all(root));
}

TEST(UnixSocketAddress, ANameTooLongEvenAloneIsRefused) {
    sockaddr_un address{};
    UniqueFd dir;
    auto result = unix_socket_address("/tmp/" + std::string(200, 's'), address, dir);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().kind(), ErrorKind::InvalidArgument);
    EXPECT_FALSE(unix_socket_address(std::string(200, 's'), address, dir)) << "no directory";
}

TEST(UnixSocketAddress, AMissingDirectoryIsAnError) {
    sockaddr_un address{};
    UniqueFd dir;
    std::string path = "/nonexistent-" + std::string(120, 'm') + "/x.sock";
    EXPECT_FALSE(unix_socket_address(path, address, dir));
}

}  // namespace
}  // namespace berth
