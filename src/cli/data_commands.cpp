// berth cp (both ways, `-` for a tar on stdin/stdout), export and diff.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <memory>

#include "base/base64.h"
#include "base/unique_fd.h"
#include "cli/container_commands.h"

namespace berth::cli {
namespace {

using client::Query;
using client::url_escape;

struct ArchiveReadDeleter {
    void operator()(archive* a) const { archive_read_free(a); }
};
struct ArchiveWriteDeleter {
    void operator()(archive* a) const { archive_write_free(a); }
};
using ReadArchive = std::unique_ptr<archive, ArchiveReadDeleter>;
using WriteArchive = std::unique_ptr<archive, ArchiveWriteDeleter>;

Result<void> write_fd(int fd, const char* data, size_t size) {
    while (size > 0) {
        ssize_t n = ::write(fd, data, size);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail_errno("write");
        data += n;
        size -= static_cast<size_t>(n);
    }
    return {};
}

Result<void> body_to_fd(client::BodyReader& body, int fd) {
    char buffer[65536];
    while (size_t n = TRY(body.read_some(buffer, sizeof buffer)))
        TRY(write_fd(fd, buffer, n));
    return {};
}

// "CONTAINER:PATH" -> {container, path}; a local path gives an empty container. As in docker, a
// colon after a slash belongs to a local path.
std::pair<std::string, std::string> split_cp_arg(const std::string& arg) {
    if (arg.starts_with("/") || arg.starts_with(".")) return {"", arg};
    auto colon = arg.find(':');
    if (colon == std::string::npos || colon == 0) return {"", arg};
    auto slash = arg.find('/');
    if (slash != std::string::npos && slash < colon) return {"", arg};
    return {arg.substr(0, colon), arg.substr(colon + 1)};
}

Result<Json> decode_path_stat(const std::string& encoded) {
    if (encoded.empty()) return Json::object();
    auto decoded = base64_decode(encoded);
    if (!decoded) return fail(ErrorKind::Internal, "bad path stat from daemon");
    return parse_json(*decoded, "path stat");
}

bool is_dir_mode(const Json& stat) {
    return stat.is_object() && (stat.value("mode", uint64_t{0}) & (uint64_t{1} << 31)) != 0;
}

std::string base_name(std::string path) {
    while (path.size() > 1 && path.back() == '/')
        path.pop_back();
    auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

// With --follow-link, the target of a symlink source (the daemon's path stat says it).
Result<std::string> followed_source(client::DockerClient& client, const std::string& container,
                                    const std::string& source, bool follow) {
    if (!follow) return source;
    auto head = TRY(client.request("HEAD", "/containers/" + url_escape(container) + "/archive" +
                                               Query().add("path", source).str()));
    if (!head.ok()) return source;
    Json stat = TRY(decode_path_stat(head.path_stat));
    std::string link = stat.is_object() ? stat.value("linkTarget", "") : "";
    return link.empty() ? source : link;
}

// The daemon's tar as libarchive reads it: pulled through a callback, a block at a time.
class TarFromBody {
  public:
    static Result<std::unique_ptr<TarFromBody>> open(client::BodyReader& body) {
        auto tar = std::unique_ptr<TarFromBody>(new TarFromBody(body));
        archive_read_support_format_tar(tar->reader_.get());
        if (archive_read_open(tar->reader_.get(), tar.get(), nullptr, read_block, nullptr) !=
            ARCHIVE_OK)
            return tar->error();
        return tar;
    }
    archive* reader() const { return reader_.get(); }
    std::unexpected<Error> error() const {
        return fail(ErrorKind::Internal,
                    std::string("read archive: ") + archive_error_string(reader_.get()));
    }

  private:
    explicit TarFromBody(client::BodyReader& body) : body_(&body), reader_(archive_read_new()) {}
    static la_ssize_t read_block(archive*, void* data, const void** buffer) {
        auto* self = static_cast<TarFromBody*>(data);
        auto n = self->body_->read_some(self->block_, sizeof self->block_);
        if (!n) return -1;
        *buffer = self->block_;
        return static_cast<la_ssize_t>(*n);
    }
    client::BodyReader* body_;
    ReadArchive reader_;
    char block_[65536];
};

// Where each entry of the daemon's tar lands (docker's rules): the tar is rooted at the source's
// base name, and that root becomes `dest` itself, or a new entry in `dest` when it is an existing
// directory; "SRC/." puts what is inside SRC into DEST.
class EntryPlacement {
  public:
    EntryPlacement(std::string dest, bool contents_only)
        : dest_(std::move(dest)), contents_only_(contents_only) {
        struct stat st {};
        dest_is_dir_ = ::stat(dest_.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    }

    // Renames `entry` (and its hard link target) to its place on the host.
    Result<std::string> place(archive_entry* entry) {
        std::string name = without_dot_slash(archive_entry_pathname(entry));
        if (name == ".") name.clear();
        std::string out;
        if (contents_only_) {
            out = name.empty() ? dest_ : dest_ + "/" + name;
        } else {
            if (root_.empty()) {
                root_ = name.substr(0, name.find('/'));
                if (archive_entry_filetype(entry) != AE_IFDIR && !dest_is_dir_ &&
                    dest_.ends_with("/"))
                    return fail(ErrorKind::InvalidArgument,
                                "destination \"" + dest_ + "\" must be a directory");
                target_ = dest_is_dir_ ? dest_ + "/" + root_ : dest_;
            }
            out = target_ + (name.size() > root_.size() ? name.substr(root_.size()) : "");
        }
        archive_entry_set_pathname(entry, out.c_str());
        if (const char* link = archive_entry_hardlink(entry)) {
            std::string hard = without_dot_slash(link);
            if (contents_only_)
                hard = dest_ + "/" + hard;
            else if (hard.starts_with(root_))
                hard = target_ + hard.substr(root_.size());
            archive_entry_set_hardlink(entry, hard.c_str());
        }
        return out;
    }

  private:
    static std::string without_dot_slash(std::string name) {
        while (name.starts_with("./"))
            name.erase(0, 2);
        return name;
    }
    std::string dest_;
    bool contents_only_;
    bool dest_is_dir_ = false;
    std::string root_;  // the archive's first component
    std::string target_;
};

// Writes the current entry's data from `tar` to `writer`.
Result<void> copy_entry_data(const TarFromBody& tar, archive* writer, const std::string& out) {
    const void* block;
    size_t size;
    la_int64_t offset;
    int rc;
    while ((rc = archive_read_data_block(tar.reader(), &block, &size, &offset)) == ARCHIVE_OK)
        if (archive_write_data_block(writer, block, size, offset) < ARCHIVE_WARN)
            return fail(ErrorKind::Internal, out + ": " + archive_error_string(writer));
    if (rc < ARCHIVE_WARN) return tar.error();
    return {};
}

// Container -> host: the daemon's tar, its entries renamed by EntryPlacement.
Result<void> copy_from_container(client::DockerClient& client, const std::string& container,
                                 const std::string& source, const std::string& dest, bool follow) {
    std::string path = TRY(followed_source(client, container, source, follow));
    auto body = TRY(client.stream("GET", "/containers/" + url_escape(container) + "/archive" +
                                             Query().add("path", path).str()));
    if (dest == "-") return body_to_fd(*body, STDOUT_FILENO);
    EntryPlacement placement(dest, source.ends_with("/."));
    auto tar = TRY(TarFromBody::open(*body));
    WriteArchive writer(archive_write_disk_new());
    archive_write_disk_set_options(writer.get(), ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM |
                                                     ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                                     ARCHIVE_EXTRACT_SECURE_SYMLINKS);
    archive_entry* entry = nullptr;
    while (true) {
        int rc = archive_read_next_header(tar->reader(), &entry);
        if (rc == ARCHIVE_EOF) break;
        if (rc < ARCHIVE_WARN) return tar->error();
        std::string out = TRY(placement.place(entry));
        if (archive_write_header(writer.get(), entry) < ARCHIVE_WARN)
            return fail(ErrorKind::Internal, out + ": " + archive_error_string(writer.get()));
        TRY(copy_entry_data(*tar, writer.get(), out));
        archive_write_finish_entry(writer.get());
    }
    archive_write_close(writer.get());
    return {};
}

// Writes `source` (file or tree) as a tar whose root is named `root_name` into a memfd.
Result<UniqueFd> tar_local(const std::string& source, const std::string& root_name, bool follow,
                           bool keep_owner) {
    UniqueFd fd(::memfd_create("berth-cp", MFD_CLOEXEC));
    if (!fd) return fail_errno("memfd_create");
    WriteArchive writer(archive_write_new());
    archive_write_set_format_pax_restricted(writer.get());
    if (archive_write_open_fd(writer.get(), fd.get()) != ARCHIVE_OK)
        return fail(ErrorKind::Internal, archive_error_string(writer.get()));
    ReadArchive disk(archive_read_disk_new());
    if (follow)
        archive_read_disk_set_symlink_hybrid(disk.get());
    else
        archive_read_disk_set_symlink_physical(disk.get());
    archive_read_disk_set_standard_lookup(disk.get());
    if (archive_read_disk_open(disk.get(), source.c_str()) != ARCHIVE_OK)
        return fail(ErrorKind::NotFound, "stat " + source + ": no such file or directory");
    std::string prefix = source;
    while (prefix.size() > 1 && prefix.back() == '/')
        prefix.pop_back();
    while (true) {
        archive_entry* entry = archive_entry_new();
        int rc = archive_read_next_header2(disk.get(), entry);
        if (rc == ARCHIVE_EOF) {
            archive_entry_free(entry);
            break;
        }
        if (rc < ARCHIVE_WARN) {
            std::string error = archive_error_string(disk.get());
            archive_entry_free(entry);
            return fail(ErrorKind::Internal, error);
        }
        archive_read_disk_descend(disk.get());
        std::string name = archive_entry_pathname(entry);
        std::string rel = name.size() > prefix.size() ? name.substr(prefix.size()) : "";
        archive_entry_set_pathname(entry, (root_name + rel).c_str());
        if (!keep_owner) {
            archive_entry_set_uid(entry, 0);
            archive_entry_set_gid(entry, 0);
            archive_entry_set_uname(entry, "");
            archive_entry_set_gname(entry, "");
        }
        if (archive_write_header(writer.get(), entry) < ARCHIVE_WARN) {
            std::string error = archive_error_string(writer.get());
            archive_entry_free(entry);
            return fail(ErrorKind::Internal, error);
        }
        if (archive_entry_filetype(entry) == AE_IFREG && archive_entry_size(entry) > 0) {
            UniqueFd file(::open(archive_entry_sourcepath(entry), O_RDONLY | O_CLOEXEC));
            if (!file) {
                archive_entry_free(entry);
                return fail_errno(std::string("open ") + name);
            }
            char buffer[65536];
            ssize_t n;
            while ((n = ::read(file.get(), buffer, sizeof buffer)) > 0)
                archive_write_data(writer.get(), buffer, static_cast<size_t>(n));
        }
        archive_entry_free(entry);
    }
    archive_write_close(writer.get());
    ::lseek(fd.get(), 0, SEEK_SET);
    return fd;
}

Result<void> copy_to_container(client::DockerClient& client, const std::string& source,
                               const std::string& container, const std::string& dest, bool follow,
                               bool keep_owner) {
    std::string prefix = "/containers/" + url_escape(container) + "/archive";
    auto head = TRY(client.request("HEAD", prefix + Query().add("path", dest).str()));
    bool dest_exists = head.ok();
    if (!dest_exists && head.status != 404)
        return std::unexpected(client::daemon_error(head.status, head.body));
    Json stat = dest_exists ? TRY(decode_path_stat(head.path_stat)) : Json::object();
    bool dest_dir = is_dir_mode(stat);
    UniqueFd tar;
    std::string upload_dir;
    if (source == "-") {
        if (!dest_exists || !dest_dir)
            return fail(ErrorKind::InvalidArgument,
                        "destination \"" + container + ":" + dest + "\" must be a directory");
        upload_dir = dest;
        auto body = TRY(client.stream(
            "PUT",
            prefix + Query().add("path", upload_dir).add_if(keep_owner, "copyUIDGID", "true").str(),
            std::nullopt, STDIN_FILENO, "application/x-tar"));
        char sink[4096];
        while (TRY(body->read_some(sink, sizeof sink))) {
        }
        return {};
    }
    struct stat st {};
    int rc = follow ? ::stat(source.c_str(), &st) : ::lstat(source.c_str(), &st);
    if (rc != 0)
        return fail(ErrorKind::NotFound, "lstat " + source + ": no such file or directory");
    bool contents_only = source.ends_with("/.");
    std::string root_name;
    if (dest_exists && dest_dir) {
        upload_dir = dest;
        root_name = contents_only ? "." : base_name(source);
    } else {
        if (dest.ends_with("/") && !S_ISDIR(st.st_mode))
            return fail(ErrorKind::InvalidArgument,
                        "destination \"" + container + ":" + dest + "\" must be a directory");
        if (dest_exists && !dest_dir && S_ISDIR(st.st_mode))
            return fail(ErrorKind::InvalidArgument, "cannot copy directory to a file");
        std::string trimmed = dest;
        while (trimmed.size() > 1 && trimmed.back() == '/')
            trimmed.pop_back();
        auto slash = trimmed.rfind('/');
        upload_dir =
            slash == std::string::npos ? "." : (slash == 0 ? "/" : trimmed.substr(0, slash));
        root_name = base_name(trimmed);
    }
    tar = TRY(tar_local(contents_only ? source.substr(0, source.size() - 1) : source, root_name,
                        follow, keep_owner));
    auto body = TRY(client.stream(
        "PUT",
        prefix + Query().add("path", upload_dir).add_if(keep_owner, "copyUIDGID", "true").str(),
        std::nullopt, tar.get(), "application/x-tar"));
    char sink[4096];
    while (TRY(body->read_some(sink, sizeof sink))) {
    }
    return {};
}

struct CpOptions {
    std::vector<std::string> paths;
    bool archive = false, follow = false, quiet = false;
};

Result<void> cp_command(CliContext& context, const CpOptions& options) {
    auto [src_container, src_path] = split_cp_arg(options.paths[0]);
    auto [dst_container, dst_path] = split_cp_arg(options.paths[1]);
    if (!src_container.empty() && !dst_container.empty())
        return fail(ErrorKind::InvalidArgument, "copying between containers is not supported");
    if (src_container.empty() && dst_container.empty())
        return fail(ErrorKind::InvalidArgument, "must specify at least one container source");
    auto* client = TRY(context.client());
    if (!src_container.empty())
        return copy_from_container(*client, src_container, src_path, dst_path, options.follow);
    return copy_to_container(*client, src_path, dst_container, dst_path, options.follow,
                             options.archive);
}

Result<void> export_command(CliContext& context, const std::string& container,
                            const std::string& output) {
    if (output.empty() && ::isatty(STDOUT_FILENO))
        return fail(ErrorKind::InvalidArgument,
                    "cowardly refusing to save to a terminal. Use the -o flag or redirect");
    auto* client = TRY(context.client());
    auto body = TRY(client->stream("GET", "/containers/" + url_escape(container) + "/export"));
    if (output.empty()) return body_to_fd(*body, STDOUT_FILENO);
    UniqueFd fd(::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd) return fail_errno("open " + output);
    return body_to_fd(*body, fd.get());
}

Result<void> diff_command(CliContext& context, const std::string& container) {
    auto* client = TRY(context.client());
    Json changes = TRY(client->call("GET", "/containers/" + url_escape(container) + "/changes"));
    if (!changes.is_array()) return {};
    for (auto& change : changes) {
        int kind = change.value("Kind", 0);
        const char* letter = kind == 1 ? "A" : kind == 2 ? "D" : "C";
        std::printf("%s %s\n", letter, change.value("Path", "").c_str());
    }
    return {};
}

}  // namespace

void add_data_commands(const CommandGroups& groups, CliContext& context) {
    auto cp = std::make_shared<CpOptions>();
    for (auto* command : container_command(
             groups, "cp", "Copy files/folders between a container and the local filesystem")) {
        command->add_flag("-a,--archive", cp->archive,
                          "Archive mode (copy all uid/gid information)");
        command->add_flag("-L,--follow-link", cp->follow, "Always follow symbol link in SRC_PATH");
        command->add_flag("-q,--quiet", cp->quiet, "Suppress progress output during copy");
        command->add_option("src dest", cp->paths, "SRC_PATH DEST_PATH")->required()->expected(2);
        command->callback(
            [&context, cp] { guarded(context, [&] { return cp_command(context, *cp); }); });
    }
    auto export_name = std::make_shared<std::string>();
    auto export_output = std::make_shared<std::string>();
    for (auto* command :
         container_command(groups, "export", "Export a container's filesystem as a tar archive")) {
        command->add_option("-o,--output", *export_output, "Write to a file, instead of STDOUT");
        command->add_option("container", *export_name, "Container")->required();
        command->callback([&context, export_name, export_output] {
            guarded(context, [&] { return export_command(context, *export_name, *export_output); });
        });
    }
    auto diff_name = std::make_shared<std::string>();
    for (auto* command :
         container_command(groups, "diff",
                           "Inspect changes to files or directories on a container's filesystem")) {
        command->add_option("container", *diff_name, "Container")->required();
        command->callback([&context, diff_name] {
            guarded(context, [&] { return diff_command(context, *diff_name); });
        });
    }
}

}  // namespace berth::cli
