// The engine's read side: inspect, list (with docker's filters), prune, and what the logs,
// changes/archive/export, top and stats routes need.
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "base/clock.h"
#include "base/fs.h"
#include "engine/engine.h"
#include "engine/engine_entry.h"
#include "engine/list_filter.h"

namespace berth::engine {
namespace {

bool is_running(RunState s) {
    return s == RunState::Running || s == RunState::Paused;
}

// Bytes of the regular files under `dir`, each inode counted once.
uint64_t directory_size(const std::string& dir) {
    namespace fs = std::filesystem;
    std::error_code ec;
    uint64_t total = 0;
    std::set<std::pair<dev_t, ino_t>> seen;
    for (fs::recursive_directory_iterator
             it(dir, fs::directory_options::skip_permission_denied, ec),
         end;
         !ec && it != end; it.increment(ec)) {
        struct stat st {};
        if (::lstat(it->path().c_str(), &st) < 0 || !S_ISREG(st.st_mode)) continue;
        if (st.st_nlink > 1 && !seen.insert({st.st_dev, st.st_ino}).second) continue;
        total += static_cast<uint64_t>(st.st_size);
    }
    return total;
}

// ps's Command as dockerd makes it: the program, then the arguments, each one holding a space
// in single quotes ("sh -c 'echo hi'"; the CLI quotes the whole again).
std::string join_command(const Json& config) {
    auto command = command_of(config);
    std::string text = command.empty() ? "" : command.front();
    for (size_t i = 1; i < command.size(); ++i) {
        const std::string& arg = command[i];
        text += ' ';
        text += arg.find(' ') == std::string::npos ? arg : "'" + arg + "'";
    }
    return text;
}

Json state_json(const Container& c) {
    const auto& s = c.state;
    Json state = {{"Status", to_string(s.status)},
                  {"Running", is_running(s.status)},
                  {"Paused", s.status == RunState::Paused},
                  {"Restarting", s.status == RunState::Restarting},
                  {"OOMKilled", s.oom_killed},
                  {"Dead", s.status == RunState::Dead},
                  {"Pid", s.pid},
                  {"ExitCode", s.exit_code},
                  {"Error", s.error},
                  {"StartedAt", s.started_at},
                  {"FinishedAt", s.finished_at}};
    if (s.health.is_object()) state["Health"] = s.health;
    return state;
}

// The bind mounts and tmpfs mounts as docker lists them in inspect and ps.
Json mount_points(const Container& c) {
    Json mounts = Json::array();
    for (const auto& bind : c.host_config.value("Binds", Json::array())) {
        if (!bind.is_string()) continue;
        std::string spec = bind.get<std::string>();
        std::vector<std::string> parts;
        size_t start = 0;
        for (size_t colon; (colon = spec.find(':', start)) != std::string::npos; start = colon + 1)
            parts.push_back(spec.substr(start, colon - start));
        parts.push_back(spec.substr(start));
        if (parts.size() < 2) continue;
        std::string mode = parts.size() > 2 ? parts[2] : "";
        bool ro = mode.find("ro") != std::string::npos;
        mounts.push_back({{"Type", "bind"},
                          {"Source", parts[0]},
                          {"Destination", parts[1]},
                          {"Mode", mode},
                          {"RW", !ro},
                          {"Propagation", "rprivate"}});
    }
    for (const auto& m : c.host_config.value("Mounts", Json::array())) {
        if (!m.is_object()) continue;
        Json point = {{"Type", m.value("Type", "")},
                      {"Source", m.value("Source", "")},
                      {"Destination", m.value("Target", "")},
                      {"Mode", ""},
                      {"RW", !m.value("ReadOnly", false)},
                      {"Propagation", m.value("Type", "") == "bind" ? "rprivate" : ""}};
        mounts.push_back(point);
    }
    return mounts;
}

Json network_settings(const Container& c) {
    std::string mode = c.host_config.value("NetworkMode", "default");
    std::string network = mode == "host" ? "host" : "none";
    Json endpoint = {{"IPAMConfig", nullptr}, {"Links", nullptr},        {"Aliases", nullptr},
                     {"MacAddress", ""},      {"NetworkID", ""},         {"EndpointID", ""},
                     {"Gateway", ""},         {"IPAddress", ""},         {"IPPrefixLen", 0},
                     {"IPv6Gateway", ""},     {"GlobalIPv6Address", ""}, {"GlobalIPv6PrefixLen", 0},
                     {"DriverOpts", nullptr}, {"DNSNames", nullptr}};
    return {{"Bridge", ""},
            {"SandboxID", ""},
            {"SandboxKey", ""},
            {"Ports", Json::object()},
            {"HairpinMode", false},
            {"LinkLocalIPv6Address", ""},
            {"LinkLocalIPv6PrefixLen", 0},
            {"SecondaryIPAddresses", nullptr},
            {"SecondaryIPv6Addresses", nullptr},
            {"EndpointID", ""},
            {"Gateway", ""},
            {"GlobalIPv6Address", ""},
            {"GlobalIPv6PrefixLen", 0},
            {"IPAddress", ""},
            {"IPPrefixLen", 0},
            {"IPv6Gateway", ""},
            {"MacAddress", ""},
            {"Networks", {{network, endpoint}}}};
}

bool label_matches(const Json& labels, const std::string& filter) {
    size_t eq = filter.find('=');
    std::string key = filter.substr(0, eq);
    if (!labels.is_object() || !labels.contains(key)) return false;
    if (eq == std::string::npos) return true;
    const Json& value = labels[key];
    return value.is_string() && value.get<std::string>() == filter.substr(eq + 1);
}

}  // namespace

Result<Json> Engine::inspect(std::string_view ref, bool size) {
    auto entry = TRY(resolve(ref));
    Container c;
    std::vector<std::string> exec_ids;
    {
        std::lock_guard lock(mutex_);
        c = entry->container;
        exec_ids = entry->exec_ids;
    }
    auto command = command_of(c.config);
    Json args = Json::array();
    for (size_t i = 1; i < command.size(); ++i)
        args.push_back(command[i]);
    std::string dir = container_dir(c.id);
    auto lowers = lower_dirs_of(c);
    std::string lower_text;
    if (lowers)
        for (const auto& l : *lowers)
            lower_text += (lower_text.empty() ? "" : ":") + l;
    std::string upper = images_.snapshotter().upper_dir(c.id);
    Json doc = {
        {"Id", c.id},
        {"Created", c.created},
        {"Path", command.empty() ? "" : command[0]},
        {"Args", args},
        {"State", state_json(c)},
        {"Image", c.image_id},
        {"ResolvConfPath", join_path(dir, "resolv.conf")},
        {"HostnamePath", join_path(dir, "hostname")},
        {"HostsPath", join_path(dir, "hosts")},
        {"LogPath",
         c.host_config["LogConfig"].value("Type", "") == "json-file" ? log_path(c.id) : ""},
        {"Name", "/" + c.name},
        {"RestartCount", c.restart_count},
        {"Driver", "overlay2"},
        {"Platform", "linux"},
        {"MountLabel", ""},
        {"ProcessLabel", ""},
        {"AppArmorProfile", ""},
        {"ExecIDs", exec_ids.empty() ? Json(nullptr) : Json(exec_ids)},
        {"HostConfig", c.host_config},
        {"GraphDriver",
         {{"Name", "overlay2"},
          {"Data",
           {{"LowerDir", lower_text},
            {"MergedDir", rootfs_dir(c.id)},
            {"UpperDir", upper},
            {"WorkDir", std::filesystem::path(upper).parent_path().string() + "/work"}}}}},
        {"Mounts", mount_points(c)},
        {"Config", c.config},
        {"NetworkSettings", network_settings(c)},
    };
    if (size) {
        uint64_t rw = directory_size(upper);
        doc["SizeRw"] = rw;
        auto image = images_.resolve(c.image_id);
        doc["SizeRootFs"] = rw + (image ? static_cast<uint64_t>(image->size) : 0);
    }
    return doc;
}

Result<std::vector<Json>> Engine::list(const ListOptions& options) {
    ListFilter filter = TRY(ListFilter::parse(options.filters));
    std::vector<Container> all;
    {
        std::lock_guard lock(mutex_);
        for (auto& [id, entry] : entries_)
            all.push_back(entry->container);
    }
    std::sort(all.begin(), all.end(),
              [](const Container& a, const Container& b) { return a.created > b.created; });
    std::vector<std::string> ids;
    ids.reserve(all.size());
    for (const auto& c : all)
        ids.push_back(c.id);
    filter.select_ids(ids);
    // before/since: by creation order relative to a named container.
    auto created_of = [&](const std::string& ref) -> Result<std::string> {
        auto c = TRY(find(ref));
        return c.created;
    };
    std::string before, since;
    if (filter.given("before")) before = TRY(created_of(filter.values("before").front()));
    if (filter.given("since")) since = TRY(created_of(filter.values("since").front()));
    if (filter.given("ancestor")) {
        std::set<std::string> ancestors;
        for (const auto& name : filter.values("ancestor"))
            if (auto image = images_.resolve(name)) ancestors.insert(image->id.str());
        filter.set_ancestor_images(std::move(ancestors));
    }

    bool all_states = options.all || options.limit > 0 || filter.wants_stopped();
    int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    std::vector<Json> out;
    for (const auto& c : all) {
        if (!all_states && !is_running(c.state.status) && c.state.status != RunState::Restarting)
            continue;
        if (!before.empty() && c.created >= before) continue;
        if (!since.empty() && c.created <= since) continue;
        Json mounts = mount_points(c);
        Json networks = network_settings(c)["Networks"];
        if (!filter.matches(c, mounts, networks)) continue;
        Json summary = {
            {"Id", c.id},
            {"Names", {"/" + c.name}},
            {"Image", c.image},
            {"ImageID", c.image_id},
            {"Command", join_command(c.config)},
            {"Created", parse_rfc3339(c.created).value_or(0)},
            {"Ports", Json::array()},
            {"Labels", c.config.value("Labels", Json::object())},
            {"State", to_string(c.state.status)},
            {"Status", status_text(c, now)},
            {"HostConfig", {{"NetworkMode", c.host_config.value("NetworkMode", "default")}}},
            {"NetworkSettings", {{"Networks", networks}}},
            {"Mounts", mounts},
        };
        if (summary["Labels"].is_null()) summary["Labels"] = Json::object();
        if (options.size) {
            uint64_t rw = directory_size(images_.snapshotter().upper_dir(c.id));
            summary["SizeRw"] = rw;
            auto image = images_.resolve(c.image_id);
            summary["SizeRootFs"] = rw + (image ? static_cast<uint64_t>(image->size) : 0);
        }
        out.push_back(std::move(summary));
        if (options.limit > 0 && static_cast<int>(out.size()) >= options.limit) break;
    }
    return out;
}

Result<Engine::PruneReport> Engine::prune(
    const std::map<std::string, std::vector<std::string>>& filters) {
    for (const auto& [key, values] : filters)
        if (key != "label" && key != "until" && key != "label!")
            return fail(ErrorKind::InvalidArgument, "invalid filter '" + key + "'");
    std::vector<Container> candidates;
    {
        std::lock_guard lock(mutex_);
        for (auto& [id, entry] : entries_) {
            auto s = entry->container.state.status;
            if (s == RunState::Exited || s == RunState::Created || s == RunState::Dead)
                candidates.push_back(entry->container);
        }
    }
    PruneReport report;
    for (const auto& c : candidates) {
        bool keep = false;
        if (auto it = filters.find("label"); it != filters.end())
            for (const auto& l : it->second)
                keep = keep || !label_matches(c.config.value("Labels", Json::object()), l);
        if (auto it = filters.find("label!"); it != filters.end())
            for (const auto& l : it->second)
                keep = keep || label_matches(c.config.value("Labels", Json::object()), l);
        if (auto it = filters.find("until"); it != filters.end() && !it->second.empty()) {
            auto until = parse_rfc3339(it->second.front());
            auto created = parse_rfc3339(c.created);
            if (until && created && *created >= *until) keep = true;
        }
        if (keep) continue;
        uint64_t size = directory_size(images_.snapshotter().upper_dir(c.id));
        if (remove(c.id, false, false)) {
            report.deleted.push_back(c.id);
            report.space_reclaimed += size;
        }
    }
    return report;
}

Result<Engine::LogSource> Engine::log_source(std::string_view ref) {
    auto entry = TRY(resolve(ref));
    std::lock_guard lock(mutex_);
    const auto& c = entry->container;
    const Json& log_config = c.host_config.value("LogConfig", Json::object());
    std::string type = log_config.value("Type", "json-file");
    if (type != "json-file")
        return fail(ErrorKind::InvalidArgument,
                    "configured logging driver does not support reading");
    LogSource source;
    source.id = c.id;
    source.path = log_path(c.id);
    source.tty = c.config.value("Tty", false);
    source.running = is_running(c.state.status);
    const Json& opts = log_config.value("Config", Json::object());
    if (opts.is_object() && opts.contains("max-file") && opts["max-file"].is_string())
        source.max_file = std::max(1, std::atoi(opts["max-file"].get<std::string>().c_str()));
    return source;
}

Result<std::vector<std::string>> Engine::lower_dirs_of(const Container& c) {
    auto image = TRY(images_.resolve(c.image_id));
    auto chain = TRY(images_.layer_chain(image));
    std::vector<std::string> dirs;
    for (auto it = chain.rbegin(); it != chain.rend(); ++it)
        dirs.push_back(images_.snapshotter().layer_path(*it));
    return dirs;
}

Result<Engine::RootfsView> Engine::rootfs_view(std::string_view ref) {
    auto entry = TRY(resolve(ref));
    // Holding the operation lock keeps the container from starting or going away meanwhile.
    auto op = std::make_shared<std::unique_lock<std::mutex>>(entry->op);
    Container c;
    bool running;
    {
        std::lock_guard lock(mutex_);
        c = entry->container;
        running = is_running(c.state.status);
    }
    RootfsView view;
    view.rootfs = rootfs_dir(c.id);
    view.upper_dir = images_.snapshotter().upper_dir(c.id);
    view.lower_dirs = TRY(lower_dirs_of(c));
    view.bundle_dir = container_dir(c.id);
    if (running) {
        view.guard = op;
        return view;
    }
    TRY(mount_rootfs(c));
    std::string target = view.rootfs;
    view.guard = std::shared_ptr<void>(
        nullptr, [op, target](void*) { (void)image::unmount_rootfs(target); });
    return view;
}

Result<std::vector<pid_t>> Engine::pids(std::string_view ref) {
    auto entry = TRY(resolve(ref));
    Container c;
    {
        std::lock_guard lock(mutex_);
        if (!is_running(entry->container.state.status))
            return fail(ErrorKind::Conflict,
                        "Container " + entry->container.id + " is not running");
        c = entry->container;
    }
    auto pids = TRY(runtime_of(*entry)->pids());
    publish(c, "top");  // docker top's event: pids serves it alone
    return pids;
}

Result<Json> Engine::runtime_stats(std::string_view ref) {
    auto entry = TRY(resolve(ref));
    {
        std::lock_guard lock(mutex_);
        if (!is_running(entry->container.state.status)) return Json();
    }
    return runtime_of(*entry)->stats();
}

}  // namespace berth::engine
