#include "spec/network_files.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <climits>
#include <cstring>
#include <optional>
#include <vector>

#include "base/fs.h"

namespace berth::spec {

namespace {

std::vector<std::string> string_list(const Json& obj, const char* key) {
    std::vector<std::string> out;
    auto it = obj.find(key);
    if (it == obj.end() || !it->is_array()) return out;
    for (const Json& item : *it)
        if (item.is_string()) out.push_back(item.get<std::string>());
    return out;
}

std::string string_field(const Json& obj, const char* key) {
    auto it = obj.find(key);
    return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::vector<std::string> fields(std::string_view line) {
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos < line.size()) {
        while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t'))
            ++pos;
        size_t end = pos;
        while (end < line.size() && line[end] != ' ' && line[end] != '\t')
            ++end;
        if (end > pos) out.emplace_back(line.substr(pos, end - pos));
        pos = end;
    }
    return out;
}

struct Address {
    bool v6 = false;
    bool loopback = false;
};

std::optional<Address> parse_address(std::string text) {
    if (text.size() > 2 && text.front() == '[' && text.back() == ']')
        text = text.substr(1, text.size() - 2);
    in_addr v4{};
    if (::inet_pton(AF_INET, text.c_str(), &v4) == 1)
        return Address{false, (ntohl(v4.s_addr) >> 24) == 127};
    in6_addr v6{};
    if (::inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
        bool loop = IN6_IS_ADDR_LOOPBACK(&v6);
        // ::ffff:127.x.x.x is loopback too.
        if (IN6_IS_ADDR_V4MAPPED(&v6)) loop = v6.s6_addr[12] == 127;
        return Address{true, loop};
    }
    return std::nullopt;
}

// The host's resolv.conf taken apart.
struct ResolvConf {
    std::vector<std::string> nameservers;
    std::vector<std::string> search;
    std::vector<std::string> options;
    std::vector<std::string> other;  // lines with directives we do not interpret, kept verbatim
};

ResolvConf parse_resolv_conf(const std::string& text) {
    ResolvConf rc;
    size_t pos = 0;
    while (pos <= text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(pos, end - pos);
        pos = end + 1;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || line[0] == '#' || line[0] == ';') continue;
        std::vector<std::string> f = fields(line);
        if (f.empty()) continue;
        if (f[0] == "nameserver") {
            if (f.size() >= 2 && parse_address(f[1])) rc.nameservers.push_back(f[1]);
        } else if (f[0] == "search" || f[0] == "domain") {
            if (f.size() >= 2) rc.search.assign(f.begin() + 1, f.end());  // the last one counts
        } else if (f[0] == "options") {
            rc.options.insert(rc.options.end(), f.begin() + 1, f.end());
        } else {
            rc.other.push_back(line);
        }
    }
    return rc;
}

std::string host_name(const HostNetworkFiles& host) {
    if (!host.hostname.empty()) return host.hostname;
    char buf[HOST_NAME_MAX + 1] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0) return "localhost";
    return buf;
}

}  // namespace

bool is_host_network(const Json& host_config) {
    return host_config.is_object() && string_field(host_config, "NetworkMode") == "host";
}

std::string container_hostname(const Json& config, const Json& host_config,
                               const std::string& container_id, const HostNetworkFiles& host) {
    std::string name = config.is_object() ? string_field(config, "Hostname") : "";
    if (!name.empty()) return name;
    if (is_host_network(host_config)) return host_name(host);
    return container_id.substr(0, 12);
}

std::string hosts_file_content(const Json& host_config, const std::string& host_hosts_text) {
    std::vector<std::string> extra = string_list(host_config, "ExtraHosts");
    // Host networking shares the host's names, unless the user adds some of their own.
    if (is_host_network(host_config) && extra.empty()) return host_hosts_text;
    std::string out =
        "127.0.0.1\tlocalhost\n"
        "::1\tlocalhost ip6-localhost ip6-loopback\n"
        "fe00::\tip6-localnet\n"
        "ff00::\tip6-mcastprefix\n"
        "ff02::1\tip6-allnodes\n"
        "ff02::2\tip6-allrouters\n";
    for (const auto& entry : extra) {
        size_t colon = entry.find(':');
        if (colon == std::string::npos || colon == 0) continue;  // validated before
        std::string ip = entry.substr(colon + 1);
        if (ip.size() > 2 && ip.front() == '[' && ip.back() == ']')
            ip = ip.substr(1, ip.size() - 2);
        out += ip + "\t" + entry.substr(0, colon) + "\n";
    }
    return out;
}

std::string resolv_conf_content(const Json& host_config, const std::string& host_resolv_text,
                                const std::string& source_path) {
    ResolvConf rc = parse_resolv_conf(host_resolv_text);
    std::vector<std::string> dns = string_list(host_config, "Dns");
    std::vector<std::string> search = string_list(host_config, "DnsSearch");
    std::vector<std::string> options = string_list(host_config, "DnsOptions");
    if (!dns.empty()) rc.nameservers = dns;
    if (!search.empty()) {
        rc.search.clear();
        for (auto& s : search)
            if (s != ".") rc.search.push_back(s);  // "." asks for no search domain
    }
    if (!options.empty()) rc.options = options;

    std::vector<std::string> notes;
    if (!is_host_network(host_config) && dns.empty()) {
        // No network namespace of ours reaches the host's loopback, and there is no IPv6 yet.
        std::vector<std::string> kept;
        for (const auto& ns : rc.nameservers) {
            auto addr = parse_address(ns);
            if (addr && !addr->loopback && !addr->v6) kept.push_back(ns);
        }
        rc.nameservers = std::move(kept);
        if (rc.nameservers.empty()) {
            rc.nameservers = {"8.8.8.8", "8.8.4.4"};
            notes.push_back("no usable nameserver on the host: using docker's default ones");
        }
    }

    std::string out = "# Written by berth from the host's " + source_path + ".\n";
    for (const auto& n : notes)
        out += "# " + n + "\n";
    out += "\n";
    for (const auto& ns : rc.nameservers)
        out += "nameserver " + ns + "\n";
    auto join = [](const std::vector<std::string>& v) {
        std::string s;
        for (const auto& item : v)
            s += (s.empty() ? "" : " ") + item;
        return s;
    };
    if (!rc.search.empty()) out += "search " + join(rc.search) + "\n";
    if (!rc.options.empty()) out += "options " + join(rc.options) + "\n";
    for (const auto& line : rc.other)
        out += line + "\n";
    return out;
}

Result<std::string> write_network_files(const std::string& dir, const Json& config,
                                        const Json& host_config, const std::string& container_id,
                                        const HostNetworkFiles& host) {
    std::string hostname = container_hostname(config, host_config, container_id, host);

    // A missing host file is an empty one, as for docker.
    auto read_or_empty = [](const std::string& path) -> Result<std::string> {
        auto text = read_file(path);
        if (text) return std::move(*text);
        if (text.error().sys_errno() == ENOENT) return std::string();
        return fail(std::move(text).error());
    };
    std::string hosts_text;
    if (is_host_network(host_config)) hosts_text = TRY(read_or_empty(host.hosts));

    std::string resolv_path = host.resolv_conf;
    std::string resolv_text = TRY(read_or_empty(resolv_path));
    if (!is_host_network(host_config)) {
        ResolvConf rc = parse_resolv_conf(resolv_text);
        if (rc.nameservers.size() == 1 && rc.nameservers[0] == "127.0.0.53") {
            auto systemd = read_file(host.systemd_resolv_conf);
            if (systemd) {
                resolv_path = host.systemd_resolv_conf;
                resolv_text = std::move(*systemd);
            }
        }
    }

    TRY_CTX(write_file(dir + "/hostname", hostname + "\n", 0644), "write the container's hostname");
    TRY_CTX(write_file(dir + "/hosts", hosts_file_content(host_config, hosts_text), 0644),
            "write the container's hosts file");
    TRY_CTX(write_file(dir + "/resolv.conf",
                       resolv_conf_content(host_config, resolv_text, resolv_path), 0644),
            "write the container's resolv.conf");
    return hostname;
}

}  // namespace berth::spec
