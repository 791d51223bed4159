#include "runtime/console.h"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <string>

#include "base/fs.h"
#include "base/path_in_root.h"
#include "runtime/sync_socket.h"

namespace berth::runtime {

namespace {

// Where the terminal is bound in the container: /dev/console as a regular file (made when
// missing) or a character device, never reached through a symlink, which could aim the bind at
// another file of the container.
Result<UniqueFd> open_console_target() {
    UniqueFd dev(::open("/dev", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dev) return fail_errno("open /dev");
    int made =
        ::openat(dev.get(), "console", O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (made >= 0) ::close(made);
    UniqueFd target(::openat(dev.get(), "console", O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!target) return fail_errno("open /dev/console");
    struct stat st {};
    if (::fstat(target.get(), &st) < 0) return fail_errno("stat /dev/console");
    if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode))
        return fail(ErrorKind::InvalidArgument,
                    "/dev/console is neither a file nor a character device (a symlink?): "
                    "refusing to bind the terminal over it");
    return target;
}

}  // namespace

Result<void> setup_console(int console_socket, const std::optional<oci::ConsoleSize>& size,
                           bool mount_console) {
    int master = ::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0) return fail_errno("open /dev/ptmx");
    UniqueFd master_fd(master);
    if (::unlockpt(master) < 0) return fail_errno("unlockpt");
    char name[128];
    if (::ptsname_r(master, name, sizeof name) != 0) return fail_errno("ptsname");
    if (size && size->width > 0 && size->height > 0) {
        winsize ws{};
        ws.ws_row = static_cast<unsigned short>(size->height);
        ws.ws_col = static_cast<unsigned short>(size->width);
        ::ioctl(master, TIOCSWINSZ, &ws);
    }
    // The master's own peer, not whatever the container's /dev/pts/N path leads to.
    int slave = ::ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) return fail_errno(std::string("open ") + name);
    UniqueFd slave_fd(slave);
    if (mount_console) {
        auto target = TRY(open_console_target());
        std::string source = fd_path(slave);
        if (::mount(source.c_str(), fd_path(target.get()).c_str(), nullptr, MS_BIND, nullptr) < 0)
            return fail_errno(std::string("bind mount ") + name + " on /dev/console");
    }
    TRY_CTX(send_fd(console_socket, master, name), "send console master");
    master_fd.reset();
    if (::setsid() < 0) return fail_errno("setsid");
    if (::ioctl(slave, TIOCSCTTY, 0) < 0) return fail_errno("set controlling terminal");
    for (int fd = 0; fd < 3; ++fd)
        if (::dup3(slave, fd, 0) < 0) return fail_errno("dup console to stdio");
    return {};
}

TerminalProxy::TerminalProxy(UniqueFd master) : master_(std::move(master)) {
    if (::isatty(0)) {
        termios current{};
        if (::tcgetattr(0, &current) == 0) {
            saved_ = current;
            termios raw = current;
            ::cfmakeraw(&raw);
            raw_ = ::tcsetattr(0, TCSANOW, &raw) == 0;
        }
        resize_from_stdin();
    }
}

TerminalProxy::~TerminalProxy() {
    if (raw_ && saved_) ::tcsetattr(0, TCSANOW, &*saved_);
}

void TerminalProxy::resize_from_stdin() const {
    winsize ws{};
    if (::ioctl(0, TIOCGWINSZ, &ws) == 0) ::ioctl(master_.get(), TIOCSWINSZ, &ws);
}

bool TerminalProxy::pump(short master_events, short stdin_events) {
    char buf[16384];
    if (stdin_events & (POLLIN | POLLHUP)) {
        ssize_t n = ::read(0, buf, sizeof buf);
        if (n > 0) {
            (void)write_all(master_.get(), std::string_view(buf, static_cast<size_t>(n)));
        } else if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
            stdin_open_ = false;
            // End of input: send EOF to the terminal like a user pressing Ctrl-D.
            char eof = 4;
            (void)!::write(master_.get(), &eof, 1);
        }
    }
    if (master_events & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t n = ::read(master_.get(), buf, sizeof buf);
        if (n > 0) {
            (void)write_all(1, std::string_view(buf, static_cast<size_t>(n)));
            return true;
        }
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) return false;
    }
    return true;
}

}  // namespace berth::runtime
