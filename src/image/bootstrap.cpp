#include "image/bootstrap.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>

#include "base/child_process.h"
#include "base/fs.h"

namespace berth::image {
namespace {

constexpr const char* kPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// A temporary directory removed on every path out.
class TempDir {
  public:
    static Result<TempDir> create(const std::string& parent, const std::string& prefix) {
        std::string pattern = join_path(parent, prefix + "XXXXXX");
        if (!::mkdtemp(pattern.data())) return fail_errno("create temp dir in " + parent);
        ::chmod(pattern.c_str(), 0755);
        return TempDir(pattern);
    }
    TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}
    ~TempDir() {
        if (!path_.empty()) (void)remove_all(path_);
    }
    const std::string& path() const { return path_; }

  private:
    explicit TempDir(std::string path) : path_(std::move(path)) {}
    std::string path_;
};

Result<void> copy_file(const std::string& from, const std::string& to, mode_t mode) {
    std::string data = TRY(read_file(from));
    TRY(write_file(to, data, mode));
    if (::chmod(to.c_str(), mode) != 0) return fail_errno("chmod " + to);
    return {};
}

std::string rfc3339_of(time_t t) {
    char buffer[32];
    tm utc{};
    ::gmtime_r(&t, &utc);
    ::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return buffer;
}

// nftw has no user pointer; the walk runs on one thread, so a thread_local carries the time.
thread_local timespec walk_time{};
int set_times(const char* path, const struct stat*, int, FTW*) {
    timespec times[2] = {walk_time, walk_time};
    ::utimensat(AT_FDCWD, path, times, AT_SYMLINK_NOFOLLOW);
    return 0;
}

Result<void> set_all_times(const std::string& root, time_t t) {
    walk_time = {.tv_sec = t, .tv_nsec = 0};
    // Depth first (FTW_DEPTH) so a directory's time is set after its entries are touched.
    if (::nftw(root.c_str(), set_times, 64, FTW_PHYS | FTW_DEPTH) != 0)
        return fail_errno("set times under " + root);
    return {};
}

}  // namespace

Result<Digest> bootstrap_busybox(ImageService& images, const BusyboxBootstrap& options) {
    struct stat st {};
    if (::stat(options.busybox.c_str(), &st) != 0)
        return fail(ErrorKind::NotFound, options.busybox + " not found: install busybox-static");
    std::string applets =
        TRY_CTX(run_and_capture({options.busybox, "--list-full"}), "list busybox applets");
    TempDir dir = TRY(TempDir::create(images.root(), "bootstrap-"));
    const std::string& root = dir.path();
    for (const char* sub : {"bin", "sbin", "usr/bin", "usr/sbin", "etc", "dev", "proc", "sys",
                            "home", "var/spool/mail", "var/www", "root", "tmp"})
        TRY(mkdir_all(join_path(root, sub), 0755));
    ::chmod(join_path(root, "tmp").c_str(), 01777);
    ::chmod(join_path(root, "root").c_str(), 0700);
    TRY(copy_file(options.busybox, join_path(root, "bin/busybox"), 0755));
    size_t start = 0;
    while (start < applets.size()) {
        size_t end = applets.find('\n', start);
        if (end == std::string::npos) end = applets.size();
        std::string applet = applets.substr(start, end - start);
        start = end + 1;
        if (applet.empty() || applet == "bin/busybox" || applet.find("..") != std::string::npos)
            continue;
        std::string path = join_path(root, applet);
        TRY(mkdir_all(path.substr(0, path.rfind('/')), 0755));
        if (::symlink("/bin/busybox", path.c_str()) != 0 && errno != EEXIST)
            return fail_errno("link " + applet);
    }
    TRY(write_file(join_path(root, "etc/passwd"),
                   "root:x:0:0:root:/root:/bin/sh\n"
                   "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
                   "nobody:x:65534:65534:nobody:/home:/bin/false\n"));
    TRY(write_file(join_path(root, "etc/group"),
                   "root:x:0:\ndaemon:x:1:\nwheel:x:10:root\nusers:x:100:\nnogroup:x:65534:\n"));
    TRY(write_file(join_path(root, "etc/shadow"),
                   "root:*:10933:0:99999:7:::\nnobody:*:10933:0:99999:7:::\n", 0640));
    TRY(set_all_times(root, st.st_mtime));

    ImportOptions import{.reference = options.tag,
                         .changes = {"CMD [\"sh\"]", std::string("ENV ") + kPath},
                         .created_by = "berth image bootstrap busybox (" + options.busybox + ")"};
    Json base = {{"created", rfc3339_of(st.st_mtime)}};
    return images.import_directory(root, import, base);
}

Result<Digest> bootstrap_debian(ImageService& images, const DebianBootstrap& options) {
    for (char c : options.suite)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-')
            return fail(ErrorKind::InvalidArgument,
                        "invalid Debian suite \"" + options.suite + "\"");
    if (!path_exists("/usr/sbin/debootstrap"))
        return fail(ErrorKind::NotFound, "debootstrap not found: apt-get install debootstrap");
    TempDir dir = TRY(TempDir::create(images.root(), "bootstrap-"));
    std::string target = join_path(dir.path(), "rootfs");
    TRY_CTX(run_and_capture({"/usr/sbin/debootstrap", "--variant=" + options.variant, options.suite,
                             target, options.mirror}),
            "debootstrap " + options.suite);
    // What docker's debian images leave out: package caches, apt lists, device nodes, logs.
    for (const char* sub :
         {"var/cache/apt/archives", "var/lib/apt/lists", "dev", "tmp", "var/log", "run"}) {
        std::string path = join_path(target, sub);
        TRY(remove_all(path));
        TRY(mkdir_all(path, 0755));
    }
    ::chmod(join_path(target, "tmp").c_str(), 01777);
    TRY(mkdir_all(join_path(target, "var/lib/apt/lists/partial"), 0755));
    TRY(mkdir_all(join_path(target, "var/cache/apt/archives/partial"), 0755));
    std::string tag = options.tag.empty() ? "debian:" + options.suite : options.tag;
    ImportOptions import{.reference = tag,
                         .changes = {"CMD [\"bash\"]", std::string("ENV ") + kPath},
                         .created_by = "berth image bootstrap debian:" + options.suite +
                                       " (debootstrap --variant=" + options.variant + " " +
                                       options.suite + " " + options.mirror + ")"};
    return images.import_directory(target, import);
}

}  // namespace berth::image
