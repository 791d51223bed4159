#include "runtime/cgroups/device_rules.h"

#include <algorithm>

#include "base/parse_int.h"
#include "runtime/cgroups/json_fields.h"

namespace berth::runtime::cgroups {

Result<uint8_t> parse_device_access(std::string_view access) {
    uint8_t bits = 0;
    for (char c : access) {
        switch (c) {
            case 'r':
                bits |= kDevRead;
                break;
            case 'w':
                bits |= kDevWrite;
                break;
            case 'm':
                bits |= kDevMknod;
                break;
            default:
                return fail(ErrorKind::InvalidArgument,
                            "invalid device access \"" + std::string(access) + "\"");
        }
    }
    if (bits == 0) return fail(ErrorKind::InvalidArgument, "device access must not be empty");
    return bits;
}

std::string device_access_string(uint8_t access) {
    std::string out;
    if (access & kDevRead) out += 'r';
    if (access & kDevWrite) out += 'w';
    if (access & kDevMknod) out += 'm';
    return out;
}

static std::string number_or_star(int64_t n) {
    return n < 0 ? std::string("*") : std::to_string(n);
}

std::string DeviceRule::cgroup_string() const {
    return std::string(1, type) + " " + number_or_star(major) + ":" + number_or_star(minor) + " " +
           device_access_string(access);
}

Result<DeviceRule> parse_device_rule(const Json& j, const std::string& where) {
    if (!j.is_object()) return fail(ErrorKind::InvalidArgument, where + ": must be an object");
    DeviceRule rule;
    std::string type = "a";
    std::string access;
    TRY(get_optional(j, "allow", rule.allow, where));
    TRY(get_optional(j, "type", type, where));
    auto major = TRY(optional_field<int64_t>(j, "major", where));
    auto minor = TRY(optional_field<int64_t>(j, "minor", where));
    TRY(get_optional(j, "access", access, where));
    if (type.empty()) type = "a";
    if (type != "a" && type != "b" && type != "c")
        return fail(ErrorKind::InvalidArgument,
                    where + ".type: invalid cgroup device type \"" + type + "\"");
    rule.type = type[0];
    for (auto [value, name, out] :
         {std::tuple{major, "major", &rule.major}, std::tuple{minor, "minor", &rule.minor}}) {
        if (!value) continue;
        if (*value < -1 || *value > UINT32_MAX)
            return fail(ErrorKind::InvalidArgument,
                        where + "." + name + ": " + std::to_string(*value) + " is out of range");
        *out = *value;
    }
    if (access.empty())
        return fail(ErrorKind::InvalidArgument, where + ".access: must not be empty");
    rule.access = TRY_CTX(parse_device_access(access), where + ".access");
    return rule;
}

Json device_rule_json(const DeviceRule& rule) {
    Json j = {{"allow", rule.allow}, {"type", std::string(1, rule.type)}};
    if (rule.major >= 0) j["major"] = rule.major;
    if (rule.minor >= 0) j["minor"] = rule.minor;
    j["access"] = device_access_string(rule.access);
    return j;
}

Result<DevicePolicy> DevicePolicy::from_rules(const std::vector<DeviceRule>& rules) {
    DevicePolicy policy;
    for (const auto& rule : rules)
        TRY(policy.apply(rule));
    return policy;
}

Result<DevicePolicy> DevicePolicy::from_devices_list(std::string_view list) {
    DevicePolicy policy;
    while (!list.empty()) {
        size_t eol = list.find('\n');
        std::string_view line = list.substr(0, eol);
        list = eol == std::string_view::npos ? std::string_view() : list.substr(eol + 1);
        if (line.empty()) continue;
        // "c 1:3 rwm"
        auto bad = [&] {
            return fail(ErrorKind::InvalidArgument,
                        "malformed devices.list line \"" + std::string(line) + "\"");
        };
        size_t sp1 = line.find(' ');
        size_t colon = line.find(':', sp1 == std::string_view::npos ? 0 : sp1);
        size_t sp2 = line.find(' ', colon == std::string_view::npos ? 0 : colon);
        if (sp1 != 1 || colon == std::string_view::npos || sp2 == std::string_view::npos)
            return bad();
        DeviceRule rule;
        rule.allow = true;
        rule.type = line[0];
        if (rule.type != 'a' && rule.type != 'b' && rule.type != 'c') return bad();
        auto number = [](std::string_view s, int64_t& out) {
            if (s == "*") {
                out = -1;
                return true;
            }
            auto v = parse_int<uint32_t>(s);
            if (v) out = *v;
            return v.has_value();
        };
        if (!number(line.substr(sp1 + 1, colon - sp1 - 1), rule.major) ||
            !number(line.substr(colon + 1, sp2 - colon - 1), rule.minor))
            return bad();
        auto access = parse_device_access(line.substr(sp2 + 1));
        if (!access) return bad();
        rule.access = *access;
        TRY(policy.apply(rule));
    }
    return policy;
}

Result<void> DevicePolicy::remove(const Key& key, uint8_t access) {
    // cgroup v1 silently ignores a request to remove part of a wildcard exception; refuse it
    // instead of leaving the user with a false sense of security (as runc does).
    for (Key partial :
         {Key{-1, key.minor, key.type}, Key{key.major, -1, key.type}, Key{-1, -1, key.type}}) {
        if (partial == key) continue;
        auto it = rules_.find(partial);
        if (it != rules_.end() && (it->second & access) != 0) {
            DeviceRule asked{key.type, key.major, key.minor, access, false};
            DeviceRule wildcard{partial.type, partial.major, partial.minor, it->second, false};
            return fail(ErrorKind::InvalidArgument,
                        "device rule \"" + asked.cgroup_string() +
                            "\" cannot punch a hole in the wildcard rule \"" +
                            wildcard.cgroup_string() + "\"");
        }
    }
    auto it = rules_.find(key);
    if (it != rules_.end()) {
        it->second &= static_cast<uint8_t>(~access);
        if (it->second == 0) rules_.erase(it);
    }
    return {};
}

Result<void> DevicePolicy::apply(const DeviceRule& rule) {
    if (rule.type == 'a') {
        // Allow-all or deny-all resets the policy, whatever the major/minor say.
        default_allow_ = rule.allow;
        rules_.clear();
        return {};
    }
    if (rule.access == 0 || (rule.access & ~kDevAll) != 0)
        return fail(ErrorKind::InvalidArgument, "invalid device access in rule");
    Key key{rule.major, rule.minor, rule.type};
    if (rule.allow == default_allow_) return remove(key, rule.access);
    rules_[key] |= rule.access;
    return {};
}

std::vector<DeviceRule> DevicePolicy::exceptions() const {
    std::vector<DeviceRule> out;
    out.reserve(rules_.size());
    for (const auto& [key, access] : rules_)
        out.push_back({key.type, key.major, key.minor, access, !default_allow_});
    return out;
}

std::vector<DeviceRule> DevicePolicy::transition_from(const DevicePolicy& current) const {
    std::vector<DeviceRule> out;
    const std::map<Key, uint8_t> none;
    const auto* old_rules = &current.rules_;
    // The deny exceptions of an allow-all v1 cgroup cannot be read back, so leaving one always
    // takes the disruptive reset.
    if (current.default_allow_ || current.default_allow_ != default_allow_) {
        out.push_back({'a', -1, -1, kDevAll, default_allow_});
        old_rules = &none;
    }
    for (const auto& [key, old_access] : *old_rules) {
        auto it = rules_.find(key);
        uint8_t kept = it == rules_.end() ? 0 : it->second;
        uint8_t dropped = old_access & static_cast<uint8_t>(~kept);
        if (dropped) out.push_back({key.type, key.major, key.minor, dropped, default_allow_});
    }
    for (const auto& [key, new_access] : rules_) {
        auto it = old_rules->find(key);
        uint8_t had = it == old_rules->end() ? 0 : it->second;
        uint8_t gained = new_access & static_cast<uint8_t>(~had);
        if (gained) out.push_back({key.type, key.major, key.minor, gained, !default_allow_});
    }
    return out;
}

bool DevicePolicy::allows(char type, uint32_t major, uint32_t minor, uint8_t access) const {
    for (const auto& [key, perms] : rules_) {
        if (key.type != type) continue;
        if (key.major >= 0 && key.major != major) continue;
        if (key.minor >= 0 && key.minor != minor) continue;
        // As the v1 kernel: an allow exception must grant all of the access asked for, a deny
        // exception denies as soon as it covers any part of it.
        bool match = default_allow_ ? (access & perms) != 0 : (access & perms) == access;
        if (!match) continue;
        return !default_allow_;
    }
    return default_allow_;
}

std::vector<DeviceRule> default_device_rules(const std::vector<std::string>& spec_device_paths) {
    struct Default {
        const char* path;
        DeviceRule rule;
    };
    static const Default defaults[] = {
        {nullptr, {'c', -1, -1, kDevMknod, true}}, {nullptr, {'b', -1, -1, kDevMknod, true}},
        {"/dev/null", {'c', 1, 3, kDevAll, true}}, {"/dev/random", {'c', 1, 8, kDevAll, true}},
        {"/dev/full", {'c', 1, 7, kDevAll, true}}, {"/dev/tty", {'c', 5, 0, kDevAll, true}},
        {"/dev/zero", {'c', 1, 5, kDevAll, true}}, {"/dev/urandom", {'c', 1, 9, kDevAll, true}},
        {nullptr, {'c', 136, -1, kDevAll, true}},  // /dev/pts/*
        {nullptr, {'c', 5, 2, kDevAll, true}},     // /dev/ptmx
        {nullptr, {'c', 10, 200, kDevAll, true}},  // /dev/net/tun
    };
    std::vector<DeviceRule> out;
    for (const auto& d : defaults) {
        if (d.path != nullptr && std::find(spec_device_paths.begin(), spec_device_paths.end(),
                                           d.path) != spec_device_paths.end())
            continue;
        out.push_back(d.rule);
    }
    return out;
}

void append_default_device_rules(Json& resources,
                                 const std::vector<std::string>& spec_device_paths) {
    if (!resources.is_object()) resources = Json::object();
    Json& devices = resources["devices"];
    if (!devices.is_array()) devices = Json::array();
    for (const auto& rule : default_device_rules(spec_device_paths))
        devices.push_back(device_rule_json(rule));
}

}  // namespace berth::runtime::cgroups
