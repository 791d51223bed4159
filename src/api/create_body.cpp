#include "api/create_body.h"

#include <cctype>
#include <functional>
#include <span>
#include <string_view>

namespace berth::api {
namespace {

// How a field decodes in Go, as far as its shape goes.
enum class Kind {
    Scalar,          // string, number, boolean
    Strings,         // []string (and [2]uint: ConsoleSize)
    StringLists,     // [][]string
    StringMap,       // map[string]string
    Set,             // map[string]struct{}: only the keys count
    Object,          // a struct: `fields`
    ObjectArray,     // []struct
    ObjectMap,       // map[string]struct
    ObjectArrayMap,  // map[string][]struct (PortBindings)
};

struct Field {
    std::string_view name;
    Kind kind = Kind::Scalar;
    std::span<const Field> fields{};
};

using enum Kind;

constexpr Field kHealthcheck[] = {{"Test", Strings},         {"Interval", Scalar},
                                  {"Timeout", Scalar},       {"StartPeriod", Scalar},
                                  {"StartInterval", Scalar}, {"Retries", Scalar}};

constexpr Field kConfig[] = {
    {"Hostname", Scalar},
    {"Domainname", Scalar},
    {"User", Scalar},
    {"AttachStdin", Scalar},
    {"AttachStdout", Scalar},
    {"AttachStderr", Scalar},
    {"ExposedPorts", Set},
    {"Tty", Scalar},
    {"OpenStdin", Scalar},
    {"StdinOnce", Scalar},
    {"Env", Strings},
    {"Cmd", Strings},
    {"Healthcheck", Object, kHealthcheck},
    {"ArgsEscaped", Scalar},
    {"Image", Scalar},
    {"Volumes", Set},
    {"WorkingDir", Scalar},
    {"Entrypoint", Strings},
    {"NetworkDisabled", Scalar},
    {"MacAddress", Scalar},
    {"OnBuild", Strings},
    {"Labels", StringMap},
    {"StopSignal", Scalar},
    {"StopTimeout", Scalar},
    {"Shell", Strings},
};

constexpr Field kLogConfig[] = {{"Type", Scalar}, {"Config", StringMap}};
constexpr Field kRestartPolicy[] = {{"Name", Scalar}, {"MaximumRetryCount", Scalar}};
constexpr Field kPortBinding[] = {{"HostIp", Scalar}, {"HostPort", Scalar}};
constexpr Field kWeightDevice[] = {{"Path", Scalar}, {"Weight", Scalar}};
constexpr Field kThrottleDevice[] = {{"Path", Scalar}, {"Rate", Scalar}};
constexpr Field kDeviceMapping[] = {
    {"PathOnHost", Scalar}, {"PathInContainer", Scalar}, {"CgroupPermissions", Scalar}};
constexpr Field kDeviceRequest[] = {{"Driver", Scalar},
                                    {"Count", Scalar},
                                    {"DeviceIDs", Strings},
                                    {"Capabilities", StringLists},
                                    {"Options", StringMap}};
constexpr Field kUlimit[] = {{"Name", Scalar}, {"Hard", Scalar}, {"Soft", Scalar}};
constexpr Field kBindOptions[] = {{"Propagation", Scalar},
                                  {"NonRecursive", Scalar},
                                  {"CreateMountpoint", Scalar},
                                  {"ReadOnlyNonRecursive", Scalar},
                                  {"ReadOnlyForceRecursive", Scalar}};
constexpr Field kDriverConfig[] = {{"Name", Scalar}, {"Options", StringMap}};
constexpr Field kVolumeOptions[] = {{"NoCopy", Scalar},
                                    {"Labels", StringMap},
                                    {"Subpath", Scalar},
                                    {"DriverConfig", Object, kDriverConfig}};
constexpr Field kTmpfsOptions[] = {
    {"SizeBytes", Scalar}, {"Mode", Scalar}, {"Options", StringLists}};
constexpr Field kImageOptions[] = {{"Subpath", Scalar}};
constexpr Field kMount[] = {{"Type", Scalar},
                            {"Source", Scalar},
                            {"Target", Scalar},
                            {"ReadOnly", Scalar},
                            {"Consistency", Scalar},
                            {"BindOptions", Object, kBindOptions},
                            {"VolumeOptions", Object, kVolumeOptions},
                            {"ImageOptions", Object, kImageOptions},
                            {"TmpfsOptions", Object, kTmpfsOptions},
                            {"ClusterOptions", Object}};

constexpr Field kHostConfig[] = {
    {"Binds", Strings},
    {"ContainerIDFile", Scalar},
    {"LogConfig", Object, kLogConfig},
    {"NetworkMode", Scalar},
    {"PortBindings", ObjectArrayMap, kPortBinding},
    {"RestartPolicy", Object, kRestartPolicy},
    {"AutoRemove", Scalar},
    {"VolumeDriver", Scalar},
    {"VolumesFrom", Strings},
    {"ConsoleSize", Strings},
    {"Annotations", StringMap},
    {"CapAdd", Strings},
    {"CapDrop", Strings},
    {"CgroupnsMode", Scalar},
    {"Dns", Strings},
    {"DnsOptions", Strings},
    {"DnsSearch", Strings},
    {"ExtraHosts", Strings},
    {"GroupAdd", Strings},
    {"IpcMode", Scalar},
    {"Cgroup", Scalar},
    {"Links", Strings},
    {"OomScoreAdj", Scalar},
    {"PidMode", Scalar},
    {"Privileged", Scalar},
    {"PublishAllPorts", Scalar},
    {"ReadonlyRootfs", Scalar},
    {"SecurityOpt", Strings},
    {"StorageOpt", StringMap},
    {"Tmpfs", StringMap},
    {"UTSMode", Scalar},
    {"UsernsMode", Scalar},
    {"ShmSize", Scalar},
    {"Sysctls", StringMap},
    {"Runtime", Scalar},
    {"Isolation", Scalar},
    // Resources, embedded
    {"CpuShares", Scalar},
    {"Memory", Scalar},
    {"NanoCpus", Scalar},
    {"CgroupParent", Scalar},
    {"BlkioWeight", Scalar},
    {"BlkioWeightDevice", ObjectArray, kWeightDevice},
    {"BlkioDeviceReadBps", ObjectArray, kThrottleDevice},
    {"BlkioDeviceWriteBps", ObjectArray, kThrottleDevice},
    {"BlkioDeviceReadIOps", ObjectArray, kThrottleDevice},
    {"BlkioDeviceWriteIOps", ObjectArray, kThrottleDevice},
    {"CpuPeriod", Scalar},
    {"CpuQuota", Scalar},
    {"CpuRealtimePeriod", Scalar},
    {"CpuRealtimeRuntime", Scalar},
    {"CpusetCpus", Scalar},
    {"CpusetMems", Scalar},
    {"Devices", ObjectArray, kDeviceMapping},
    {"DeviceCgroupRules", Strings},
    {"DeviceRequests", ObjectArray, kDeviceRequest},
    {"KernelMemory", Scalar},
    {"KernelMemoryTCP", Scalar},
    {"MemoryReservation", Scalar},
    {"MemorySwap", Scalar},
    {"MemorySwappiness", Scalar},
    {"OomKillDisable", Scalar},
    {"PidsLimit", Scalar},
    {"Ulimits", ObjectArray, kUlimit},
    {"CpuCount", Scalar},
    {"CpuPercent", Scalar},
    {"IOMaximumIOps", Scalar},
    {"IOMaximumBandwidth", Scalar},
    // the rest of HostConfig
    {"Mounts", ObjectArray, kMount},
    {"MaskedPaths", Strings},
    {"ReadonlyPaths", Strings},
    {"Init", Scalar},
};

constexpr Field kIpamConfig[] = {
    {"IPv4Address", Scalar}, {"IPv6Address", Scalar}, {"LinkLocalIPs", Strings}};
constexpr Field kEndpointSettings[] = {{"IPAMConfig", Object, kIpamConfig},
                                       {"Links", Strings},
                                       {"Aliases", Strings},
                                       {"DriverOpts", StringMap},
                                       {"GwPriority", Scalar},
                                       {"MacAddress", Scalar},
                                       {"NetworkID", Scalar},
                                       {"EndpointID", Scalar},
                                       {"Gateway", Scalar},
                                       {"IPAddress", Scalar},
                                       {"IPPrefixLen", Scalar},
                                       {"IPv6Gateway", Scalar},
                                       {"GlobalIPv6Address", Scalar},
                                       {"GlobalIPv6PrefixLen", Scalar},
                                       {"DNSNames", Strings}};
constexpr Field kNetworkingConfig[] = {{"EndpointsConfig", ObjectMap, kEndpointSettings}};

bool same_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

// Go's choice of field for a key: the exact name, else one equal but for case.
const Field* field_for(std::span<const Field> fields, std::string_view key, bool& exact) {
    const Field* folded = nullptr;
    for (const auto& field : fields) {
        if (field.name == key) {
            exact = true;
            return &field;
        }
        if (!folded && same_ignoring_case(field.name, key)) folded = &field;
    }
    exact = false;
    return folded;
}

std::string type_of(const Json& value) {
    return value.is_array() ? "array" : value.type_name();
}

Result<void> wrong(const std::string& path, std::string_view expected, const Json& value) {
    return fail(ErrorKind::InvalidArgument,
                path + ": must be " + std::string(expected) + ", not " + type_of(value));
}

// A value the engine checks itself, as long as it does not nest.
bool flat(const Json& value) {
    if (value.is_primitive()) return true;
    for (const auto& item : value)
        if (!item.is_primitive()) return false;
    return true;
}

Result<Json> shape(const Json& value, const Field& field, const std::string& path);

Result<Json> shape_object(const Json& value, std::span<const Field> fields,
                          const std::string& path) {
    if (!value.is_object()) return std::unexpected(wrong(path, "an object", value).error());
    Json out = Json::object();
    for (const auto& [key, item] : value.items()) {
        bool exact = false;
        const Field* field = field_for(fields, key, exact);
        if (!field) continue;  // dockerd ignores what it does not know
        std::string name(field->name);
        if (!exact && out.contains(name)) continue;
        out[name] = TRY(shape(item, *field, path + "." + name));
    }
    return out;
}

Result<Json> shape_each(const Json& value, bool array, const std::string& path,
                        const std::function<Result<Json>(const Json&, const std::string&)>& one) {
    if (array ? !value.is_array() : !value.is_object())
        return std::unexpected(wrong(path, array ? "an array" : "an object", value).error());
    Json out = array ? Json::array() : Json::object();
    size_t index = 0;
    for (const auto& [key, item] : value.items()) {
        std::string where = array ? path + "[" + std::to_string(index++) + "]" : path + "." + key;
        Json shaped = TRY(one(item, where));
        if (array)
            out.push_back(std::move(shaped));
        else
            out[key] = std::move(shaped);
    }
    return out;
}

Result<Json> shape(const Json& value, const Field& field, const std::string& path) {
    if (value.is_null()) return value;
    auto strings = [](const Json& item, const std::string& where) -> Result<Json> {
        if (!item.is_array() || !flat(item))
            return std::unexpected(wrong(where, "an array of strings", item).error());
        return item;
    };
    auto objects = [&field](const Json& item, const std::string& where) -> Result<Json> {
        if (item.is_null()) return Json::object();
        return shape_object(item, field.fields, where);
    };
    switch (field.kind) {
        case Scalar:
            if (!flat(value))
                return std::unexpected(wrong(path, "a string, number or boolean", value).error());
            return value;
        case Strings:
            if (!flat(value))
                return std::unexpected(wrong(path, "an array of strings", value).error());
            return value;
        case StringLists:
            return shape_each(value, true, path, strings);
        case StringMap:
            return shape_each(
                value, false, path, [](const Json& item, const std::string& where) -> Result<Json> {
                    if (!item.is_string() && !item.is_null())
                        return std::unexpected(wrong(where, "a string", item).error());
                    return item;
                });
        case Set:
            return shape_each(
                value, false, path, [](const Json& item, const std::string& where) -> Result<Json> {
                    if (!item.is_object() && !item.is_null())
                        return std::unexpected(wrong(where, "an object", item).error());
                    return Json::object();
                });
        case Object:
            return shape_object(value, field.fields, path);
        case ObjectArray:
            return shape_each(value, true, path, objects);
        case ObjectMap:
            return shape_each(value, false, path, objects);
        case ObjectArrayMap:
            return shape_each(value, false, path,
                              [&](const Json& item, const std::string& where) -> Result<Json> {
                                  if (item.is_null()) return item;
                                  return shape_each(item, true, where, objects);
                              });
    }
    return value;
}

constexpr Field kExecConfig[] = {
    {"User", Scalar},         {"Privileged", Scalar},  {"Tty", Scalar},
    {"ConsoleSize", Strings}, {"AttachStdin", Scalar}, {"AttachStderr", Scalar},
    {"AttachStdout", Scalar}, {"Detach", Scalar},      {"DetachKeys", Scalar},
    {"Env", Strings},         {"WorkingDir", Scalar},  {"Cmd", Strings},
};

}  // namespace

Result<Json> known_exec_fields(const Json& body) {
    if (!body.is_object()) return body;  // the engine says what is wrong with it
    return shape_object(body, kExecConfig, "ExecConfig");
}

Result<Json> known_create_fields(const Json& body) {
    if (!body.is_object()) return body;  // the engine says what is wrong with it
    constexpr Field kWrapper[] = {{"HostConfig", Object, kHostConfig},
                                  {"NetworkingConfig", Object, kNetworkingConfig}};
    Json out = Json::object();
    for (const auto& [key, item] : body.items()) {
        bool exact = false;
        const Field* field = field_for(kWrapper, key, exact);
        std::string where = field ? std::string(field->name) : "Config";
        if (!field) field = field_for(kConfig, key, exact);
        if (!field) continue;
        std::string name(field->name);
        if (!exact && out.contains(name)) continue;
        std::string path = where == "Config" ? "Config." + name : name;
        out[name] = TRY(shape(item, *field, path));
    }
    return out;
}

Result<Json> known_config_fields(const Json& body) {
    if (!body.is_object()) return body;
    Json fields = TRY(known_create_fields(body));
    fields.erase("HostConfig");
    fields.erase("NetworkingConfig");
    return fields;
}

}  // namespace berth::api
