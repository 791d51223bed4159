// What berthd and a container's monitor (berth-monitor) say to each other.
//
// A monitor directory (<exec-root>/containers/<id>/) holds:
//   monitor.json  what to run, written by berthd before it spawns the monitor
//   monitor.sock  SOCK_SEQPACKET; one JSON message per packet, an fd may ride along (SCM_RIGHTS):
//                 {"op":"attach","stdin":…,"stdout":…,"stderr":…[,"input":base64]} + the
//                 client's connection,
//                 {"op":"resize","height":h,"width":w}. Each request gets one reply:
//                 {"ok":true} or {"error":"…"}. A connection stays open until the monitor exits,
//                 so a daemon that holds one learns of the exit by its end of file.
//   exit.json     the exit of the container's process, written (atomically) before the monitor
//                 closes its connections and exits.
//
// The monitor's fd 3 is its status pipe to the daemon that spawned it: one line {"pid":N} once
// the container runs (or {"error":"…"} and the monitor exits), then, when the container has
// exited, the exit record as one more line; the pipe's end of file means the monitor is gone.
#pragma once

#include <sys/types.h>
#include <sys/un.h>

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "base/socket_address.h"
#include "base/unique_fd.h"

namespace berth::monitor {

inline constexpr int kStatusFd = 3;
inline constexpr int kFirstInheritedFd = 4;  // attach connections handed over at spawn

// A client connection to stream the container's stdio over (docker attach).
struct AttachRequest {
    bool stdin = false;
    bool stdout = true;
    bool stderr = true;
    int fd = -1;  // in monitor.json: the inherited fd number
    // Input the client had sent before its connection was handed over (berthd read it with the
    // request header): it goes to stdin before anything read from the connection. JSON carries
    // it as base64 ("input").
    std::string input;
};

struct ContainerMonitorConfig {
    std::string id;
    std::string bundle;        // holds config.json
    std::string runtime_root;  // the runtime library's state directory
    std::string log_path;      // json-file log
    int64_t log_max_size = -1;
    int log_max_file = 1;
    bool tty = false;
    bool open_stdin = false;
    bool stdin_once = false;
    std::string detach_keys = "ctrl-p,ctrl-q";
    std::vector<AttachRequest> attaches;  // connections inherited at spawn
    // An external OCI runtime (runc-compatible) instead of the built-in library: see
    // oci_runtime.h. runtime_root is its --root then.
    std::string runtime_path;
    std::vector<std::string> runtime_args;
};

struct ExecMonitorConfig {
    std::string container_id;
    std::string exec_id;
    std::string bundle;  // the container's (an external runtime's exec starts from its process)
    std::string runtime_root;
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::string cwd;
    std::string user;                          // as in ExecRequest (oci_runtime.h)
    std::vector<std::string> additional_gids;  // as in ExecRequest
    std::vector<std::string> cap_add;
    bool tty = false;
    bool no_new_privileges = false;
    std::optional<AttachRequest> attach;  // inherited at kFirstInheritedFd
    size_t capture_limit = 0;             // >0: capture this much output (health checks)
    std::string runtime_path;
    std::vector<std::string> runtime_args;
};

struct ExitRecord {
    int exit_code = 0;
    bool oom_killed = false;
    std::string finished_at;  // RFC 3339
    std::string error;        // why the monitor could not run or watch the process
    std::string output;       // exec with capture_limit: what the process wrote
};

Json to_json(const AttachRequest& attach);
Result<AttachRequest> attach_from_json(const Json& doc);
Json to_json(const ContainerMonitorConfig& config);
Result<ContainerMonitorConfig> container_config_from_json(const Json& doc);
Json to_json(const ExecMonitorConfig& config);
Result<ExecMonitorConfig> exec_config_from_json(const Json& doc);
Json to_json(const ExitRecord& record);
Result<ExitRecord> exit_from_json(const Json& doc);

// The largest packet either side takes: an attach request with the client's early input.
inline constexpr size_t kMaxPacketSize = 256 * 1024;

// The most fds one packet carries (the zygote's: a status pipe and a start's attach connections).
inline constexpr size_t kMaxPacketFds = 32;

// One packet on a SOCK_SEQPACKET socket, with fds (SCM_RIGHTS). Larger than kMaxPacketSize or
// with more than kMaxPacketFds fds: an error, nothing sent.
Result<void> send_packet(int socket_fd, std::string_view text, std::span<const int> fds = {});
// The same with one fd, or none when `fd` is negative.
Result<void> send_packet(int socket_fd, std::string_view text, int fd);
struct Packet {
    std::string text;
    std::vector<UniqueFd> fds;  // in the order sent
};
// An empty text with no fd means the peer closed the connection. A packet larger than
// kMaxPacketSize is an error.
Result<Packet> receive_packet(int socket_fd);

// A request over monitor.sock and its reply.
Result<void> request(const std::string& socket_path, const Json& message, int fd = -1);

}  // namespace berth::monitor
