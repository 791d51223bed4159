#include "monitor/monitor_protocol.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <memory>

#include "base/base64.h"
#include "base/fd_passing.h"
#include "base/utf8.h"

namespace berth::monitor {
namespace {

// Text a process wrote (a health check's output) or an error quoting it, as valid UTF-8 for
// JSON (Json::dump throws on anything else): each invalid byte becomes U+FFFD, as Go's encoder
// (and so dockerd) writes it.
std::string valid_utf8(std::string_view text) {
    if (is_valid_utf8(text)) return std::string(text);
    std::string out;
    out.reserve(text.size() + 8);
    for (size_t i = 0; i < text.size();) {
        auto [rune, length] = decode_utf8(text, i);
        if (rune < 0)
            append_utf8(out, 0xfffd);
        else
            out.append(text.substr(i, length));
        i += length;
    }
    return out;
}

Result<void> require_object(const Json& doc, std::string_view what) {
    if (!doc.is_object())
        return fail(ErrorKind::InvalidArgument, std::string(what) + ": not a JSON object");
    return {};
}

}  // namespace

Json to_json(const AttachRequest& attach) {
    Json doc = {{"stdin", attach.stdin},
                {"stdout", attach.stdout},
                {"stderr", attach.stderr},
                {"fd", attach.fd}};
    if (!attach.input.empty()) doc["input"] = base64_encode(attach.input);
    return doc;
}

Result<AttachRequest> attach_from_json(const Json& doc) {
    TRY(require_object(doc, "attach request"));
    AttachRequest attach;
    TRY(get_optional(doc, "stdin", attach.stdin, "monitor message"));
    TRY(get_optional(doc, "stdout", attach.stdout, "monitor message"));
    TRY(get_optional(doc, "stderr", attach.stderr, "monitor message"));
    TRY(get_optional(doc, "fd", attach.fd, "monitor message"));
    std::string input;
    TRY(get_optional(doc, "input", input, "monitor message"));
    attach.input = TRY_CTX(base64_decode(input), "monitor message: input");
    return attach;
}

Json to_json(const ContainerMonitorConfig& c) {
    Json attaches = Json::array();
    for (const auto& a : c.attaches)
        attaches.push_back(to_json(a));
    return {{"id", c.id},
            {"bundle", c.bundle},
            {"runtime_root", c.runtime_root},
            {"log_path", c.log_path},
            {"log_max_size", c.log_max_size},
            {"log_max_file", c.log_max_file},
            {"tty", c.tty},
            {"open_stdin", c.open_stdin},
            {"stdin_once", c.stdin_once},
            {"detach_keys", c.detach_keys},
            {"attaches", attaches},
            {"runtime_path", c.runtime_path},
            {"runtime_args", c.runtime_args}};
}

Result<ContainerMonitorConfig> container_config_from_json(const Json& doc) {
    TRY(require_object(doc, "monitor.json"));
    ContainerMonitorConfig c;
    TRY(get_optional(doc, "id", c.id, "monitor message"));
    TRY(get_optional(doc, "bundle", c.bundle, "monitor message"));
    TRY(get_optional(doc, "runtime_root", c.runtime_root, "monitor message"));
    TRY(get_optional(doc, "log_path", c.log_path, "monitor message"));
    TRY(get_optional(doc, "log_max_size", c.log_max_size, "monitor message"));
    TRY(get_optional(doc, "log_max_file", c.log_max_file, "monitor message"));
    TRY(get_optional(doc, "tty", c.tty, "monitor message"));
    TRY(get_optional(doc, "open_stdin", c.open_stdin, "monitor message"));
    TRY(get_optional(doc, "stdin_once", c.stdin_once, "monitor message"));
    TRY(get_optional(doc, "detach_keys", c.detach_keys, "monitor message"));
    TRY(get_optional(doc, "runtime_path", c.runtime_path, "monitor message"));
    TRY(get_optional(doc, "runtime_args", c.runtime_args, "monitor message"));
    if (auto it = doc.find("attaches"); it != doc.end() && it->is_array())
        for (const auto& a : *it)
            c.attaches.push_back(TRY(attach_from_json(a)));
    if (c.id.empty() || c.bundle.empty() || c.runtime_root.empty())
        return fail(ErrorKind::InvalidArgument, "monitor.json: id, bundle and runtime_root needed");
    return c;
}

Json to_json(const ExecMonitorConfig& c) {
    Json doc = {{"container_id", c.container_id},
                {"exec_id", c.exec_id},
                {"bundle", c.bundle},
                {"runtime_root", c.runtime_root},
                {"args", c.args},
                {"env", c.env},
                {"cwd", c.cwd},
                {"user", c.user},
                {"additional_gids", c.additional_gids},
                {"cap_add", c.cap_add},
                {"tty", c.tty},
                {"no_new_privileges", c.no_new_privileges},
                {"capture_limit", c.capture_limit},
                {"runtime_path", c.runtime_path},
                {"runtime_args", c.runtime_args}};
    if (c.attach) doc["attach"] = to_json(*c.attach);
    return doc;
}

Result<ExecMonitorConfig> exec_config_from_json(const Json& doc) {
    TRY(require_object(doc, "exec.json"));
    ExecMonitorConfig c;
    TRY(get_optional(doc, "container_id", c.container_id, "monitor message"));
    TRY(get_optional(doc, "exec_id", c.exec_id, "monitor message"));
    TRY(get_optional(doc, "bundle", c.bundle, "monitor message"));
    TRY(get_optional(doc, "runtime_root", c.runtime_root, "monitor message"));
    TRY(get_optional(doc, "args", c.args, "monitor message"));
    TRY(get_optional(doc, "env", c.env, "monitor message"));
    TRY(get_optional(doc, "cwd", c.cwd, "monitor message"));
    TRY(get_optional(doc, "user", c.user, "monitor message"));
    TRY(get_optional(doc, "additional_gids", c.additional_gids, "monitor message"));
    TRY(get_optional(doc, "cap_add", c.cap_add, "monitor message"));
    TRY(get_optional(doc, "tty", c.tty, "monitor message"));
    TRY(get_optional(doc, "no_new_privileges", c.no_new_privileges, "monitor message"));
    TRY(get_optional(doc, "capture_limit", c.capture_limit, "monitor message"));
    TRY(get_optional(doc, "runtime_path", c.runtime_path, "monitor message"));
    TRY(get_optional(doc, "runtime_args", c.runtime_args, "monitor message"));
    if (auto it = doc.find("attach"); it != doc.end() && !it->is_null())
        c.attach = TRY(attach_from_json(*it));
    if (c.container_id.empty() || c.runtime_root.empty() || c.args.empty())
        return fail(ErrorKind::InvalidArgument,
                    "exec.json: container_id, runtime_root and args needed");
    return c;
}

Json to_json(const ExitRecord& r) {
    Json doc = {
        {"exit_code", r.exit_code}, {"oom_killed", r.oom_killed}, {"finished_at", r.finished_at}};
    if (!r.error.empty()) doc["error"] = valid_utf8(r.error);
    if (!r.output.empty()) doc["output"] = valid_utf8(r.output);
    return doc;
}

Result<ExitRecord> exit_from_json(const Json& doc) {
    TRY(require_object(doc, "exit record"));
    ExitRecord r;
    TRY(get_optional(doc, "exit_code", r.exit_code, "monitor message"));
    TRY(get_optional(doc, "oom_killed", r.oom_killed, "monitor message"));
    TRY(get_optional(doc, "finished_at", r.finished_at, "monitor message"));
    TRY(get_optional(doc, "error", r.error, "monitor message"));
    TRY(get_optional(doc, "output", r.output, "monitor message"));
    return r;
}

static_assert(kMaxPacketFds <= kMaxPassedFds);

Result<void> send_packet(int socket_fd, std::string_view text, std::span<const int> fds) {
    if (text.size() > kMaxPacketSize)
        return fail(ErrorKind::InvalidArgument,
                    "monitor message too large (" + std::to_string(text.size()) + " bytes)");
    if (fds.size() > kMaxPacketFds)
        return fail(ErrorKind::InvalidArgument,
                    "monitor message with too many fds (" + std::to_string(fds.size()) + ")");
    // A packet must fit the sender's buffer whole: raise it for a large one (the default,
    // net.core.wmem_default, is about 200 KiB). Should that fail, sendmsg says EMSGSIZE.
    if (text.size() > 64 * 1024) {
        int size = static_cast<int>(text.size() + 4096);
        (void)::setsockopt(socket_fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    }
    TRY(send_with_fds(socket_fd, text, fds, "send to monitor"));
    return {};
}

Result<void> send_packet(int socket_fd, std::string_view text, int fd) {
    if (fd < 0) return send_packet(socket_fd, text);
    return send_packet(socket_fd, text, std::span<const int>(&fd, 1));
}

Result<Packet> receive_packet(int socket_fd) {
    // Not zero-filled: of the largest packet's room, only what arrives is touched.
    auto buffer = std::make_unique_for_overwrite<char[]>(kMaxPacketSize + 1);
    auto received = TRY(receive_with_fds(socket_fd, {buffer.get(), kMaxPacketSize + 1},
                                         kMaxPacketFds, "receive from monitor"));
    if (received.size > kMaxPacketSize || received.truncated)
        return fail(ErrorKind::InvalidArgument, "monitor message too large");
    return Packet{std::string(buffer.get(), received.size), std::move(received.fds)};
}

Result<void> request(const std::string& socket_path, const Json& message, int fd) {
    sockaddr_un addr{};
    UniqueFd dir;
    TRY(unix_socket_address(socket_path, addr, dir));
    UniqueFd sock(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    if (!sock.valid()) return fail_errno("socket");
    if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
        return fail(ErrorKind::Conflict, "the container's monitor is not running");
    TRY(send_packet(sock.get(), message.dump(), fd));
    auto reply = TRY(receive_packet(sock.get()));
    if (reply.text.empty())
        return fail(ErrorKind::Conflict, "the container's monitor closed the connection");
    auto doc = TRY(parse_json(reply.text, "monitor reply"));
    if (doc.contains("error") && doc["error"].is_string())
        return fail(ErrorKind::Conflict, doc["error"].get<std::string>());
    return {};
}

}  // namespace berth::monitor
