// `berth run` / `berth create` flags and their translation into the body of
// POST /containers/create (Config + HostConfig + NetworkingConfig), as docker's CLI sends it.
// The translation is a pure function of the options and an Environment, so it is unit-tested.
#pragma once

#include <CLI/App.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/json.h"

namespace berth::cli {

struct ContainerOptions {
    // What to run.
    std::string image;
    std::vector<std::string> command;
    std::optional<std::string> entrypoint;
    std::string name;
    std::string platform;

    // Streams and terminal.
    bool detach = false, interactive = false, tty = false, rm = false;
    std::vector<std::string> attach;  // -a stdin|stdout|stderr
    std::string detach_keys;
    bool sig_proxy = true;

    // Process.
    std::vector<std::string> env, env_files, labels;
    std::string workdir, user, hostname, stop_signal;
    std::optional<int> stop_timeout;
    std::vector<std::string> group_add;

    // Storage.
    std::vector<std::string> volumes, mounts, tmpfs;
    bool read_only = false;

    // Resources.
    std::string memory, memory_swap, memory_reservation, shm_size, cpus, cpuset_cpus;
    int64_t cpu_shares = 0, cpu_quota = 0, cpu_period = 0, pids_limit = 0;
    int oom_score_adj = 0;
    std::vector<std::string> ulimits;

    // Security and devices.
    std::vector<std::string> cap_add, cap_drop, security_opts, devices, sysctls;
    bool privileged = false;
    bool init = false;

    // Restart, logs, health, network.
    std::string restart, log_driver, network;
    std::vector<std::string> log_opts;
    std::string health_cmd, health_interval, health_timeout, health_start_period;
    int health_retries = 0;
    bool no_healthcheck = false;
};

// What the translation needs from the outside world: --env-file contents and the variables that
// `-e NAME` (no value) takes from the environment.
struct Environment {
    std::function<Result<std::string>(const std::string& path)> read_file;
    std::function<std::optional<std::string>(const std::string& name)> get;
    static Environment process();
};

// The create request: the JSON body and the ?name= value.
struct CreateRequest {
    Json body;
    std::string name;
};

Result<CreateRequest> build_create_request(const ContainerOptions& options, const Environment& env);

// Flag values as run, create and update take them: --restart ("on-failure:3"), sizes
// (--memory 512m; --memory-swap -1), --cpus (1.5, in NanoCpus).
Result<Json> restart_policy_flag(const std::string& spec);
Result<int64_t> size_flag_value(const std::string& text, const std::string& flag);
Result<int64_t> cpus_flag(const std::string& text);

// Declares docker's run/create flags on `command`, writing into `options`.
void add_container_flags(CLI::App* command, ContainerOptions& options, bool is_run);

}  // namespace berth::cli
