#include "runtime/network_namespace.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cstring>
#include <system_error>

namespace berth::runtime {

Result<void> bring_loopback_up() {
    UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!sock.valid()) return fail_errno("bring up lo: socket");
    ifreq request{};
    std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
    if (::ioctl(sock.get(), SIOCGIFFLAGS, &request) < 0) return fail_errno("bring up lo");
    if (request.ifr_flags & IFF_UP) return {};
    request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
    if (::ioctl(sock.get(), SIOCSIFFLAGS, &request) < 0) return fail_errno("bring up lo");
    return {};
}

namespace {

// unshare() moves only the calling thread, which ends right after: the fd keeps the namespace.
Result<UniqueFd> make_on_this_thread() {
    if (::unshare(CLONE_NEWNET) < 0) return fail_errno("unshare network namespace");
    TRY(bring_loopback_up());
    UniqueFd ns(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    if (!ns.valid()) return fail_errno("open /proc/thread-self/ns/net");
    return ns;
}

}  // namespace

NetworkNamespaceInMaking::~NetworkNamespaceInMaking() {
    if (thread_.joinable()) thread_.join();
}

void NetworkNamespaceInMaking::start() {
    try {
        thread_ = std::thread([this] { result_ = make_on_this_thread(); });
    } catch (const std::system_error& e) {
        result_ = fail(ErrorKind::Unavailable, std::string("start a thread: ") + e.what());
    }
}

Result<UniqueFd> NetworkNamespaceInMaking::take() {
    if (thread_.joinable()) thread_.join();
    if (!result_) return fail(ErrorKind::Internal, "no network namespace was started");
    auto out = std::move(*result_);
    result_.reset();
    return out;
}

}  // namespace berth::runtime
