// The files a container gets bind-mounted at /etc/hostname, /etc/hosts and /etc/resolv.conf,
// written as docker writes them for the network modes berthd has so far ("none", and "bridge" /
// "default" / "", which for now also mean no network, and "host").
//
//  - hostname: Config.Hostname; for docker that default is set at create (see
//    container_hostname) and shown by inspect.
//  - hosts: for "host", a copy of the host's /etc/hosts; otherwise the loopback lines docker
//    writes (127.0.0.1 localhost, ::1 localhost ip6-localhost ip6-loopback, and the ip6-* names)
//    and HostConfig.ExtraHosts. Without a network interface docker adds no line for the
//    container's own hostname, and neither do we.
//  - resolv.conf: the host's, with HostConfig.Dns / DnsSearch / DnsOptions replacing its
//    nameservers / search / options. Outside the host's network namespace, loopback and IPv6
//    nameservers are dropped (they would not answer there) and docker's fallback 8.8.8.8 and
//    8.8.4.4 are used when none is left. A host whose only nameserver is systemd-resolved's
//    127.0.0.53 is read from /run/systemd/resolve/resolv.conf instead, as docker does.
#pragma once

#include <string>

#include "base/error.h"
#include "base/json.h"

namespace berth::spec {

// Where the host's files are (tests point these into a temporary directory).
struct HostNetworkFiles {
    std::string hosts = "/etc/hosts";
    std::string resolv_conf = "/etc/resolv.conf";
    std::string systemd_resolv_conf = "/run/systemd/resolve/resolv.conf";
    std::string hostname;  // the host's name; empty: gethostname(2)
};

// Whether a HostConfig.NetworkMode shares the host's network namespace.
bool is_host_network(const Json& host_config);

// The container's hostname as docker sets it at create: Config.Hostname, else the host's name
// for host networking, else the first 12 characters of the id.
std::string container_hostname(const Json& config, const Json& host_config,
                               const std::string& container_id, const HostNetworkFiles& host = {});

// Writes <dir>/hostname, <dir>/hosts and <dir>/resolv.conf (mode 0644, replacing what is there).
// `dir` must exist. Returns the hostname written.
Result<std::string> write_network_files(const std::string& dir, const Json& config,
                                        const Json& host_config, const std::string& container_id,
                                        const HostNetworkFiles& host = {});

// The content of the files, for the writer above and for tests.
std::string hosts_file_content(const Json& host_config, const std::string& host_hosts_text);
std::string resolv_conf_content(const Json& host_config, const std::string& host_resolv_text,
                                const std::string& source_path);

}  // namespace berth::spec
