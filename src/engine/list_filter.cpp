#include "engine/list_filter.h"

#include <algorithm>
#include <array>

#include "base/parse_int.h"

namespace berth::engine {
namespace {

constexpr std::array kKeys = {"ancestor", "before",  "exited",  "id",      "isolation",
                              "label",    "name",    "status",  "health",  "since",
                              "volume",   "network", "is-task", "publish", "expose"};
constexpr std::array kStates = {"created",  "running", "paused", "restarting",
                                "removing", "exited",  "dead"};
constexpr std::array kHealths = {"none", "starting", "healthy", "unhealthy"};

template <size_t N>
std::string joined(const std::array<const char*, N>& words) {
    std::string text;
    for (const char* word : words)
        text += (text.empty() ? "" : ", ") + std::string(word);
    return text;
}

template <size_t N>
bool one_of(const std::array<const char*, N>& words, const std::string& value) {
    return std::any_of(words.begin(), words.end(), [&](const char* w) { return value == w; });
}

// Go's strconv.Atoi, with its error's wording.
Result<int> atoi_like_go(const std::string& text) {
    // Go takes one sign, '+' or '-'; from_chars only '-'.
    std::string_view number = text;
    if (number.starts_with('+') && !number.substr(1).starts_with('-')) number.remove_prefix(1);
    auto value = parse_int_or_errc<int>(number);
    if (!value && value.error() == std::errc::result_out_of_range)
        return fail(ErrorKind::InvalidArgument,
                    "strconv.Atoi: parsing \"" + text + "\": value out of range");
    if (!value)
        return fail(ErrorKind::InvalidArgument,
                    "strconv.Atoi: parsing \"" + text + "\": invalid syntax");
    return *value;
}

// A port number as dockerd's ParsePortRange takes it ("" is its own error).
std::optional<std::string> port_number_error(std::string_view text) {
    if (text.empty()) return "value is empty";
    auto value = parse_int_or_errc<unsigned>(text);
    if (!value && value.error() == std::errc::invalid_argument) return "invalid syntax";
    if (!value || *value > 65535) return "value out of range";
    return std::nullopt;
}

// publish/expose values: "80", "80/tcp", "8000-8080/udp" (no host part).
Result<void> check_port_filter(const std::string& key, const std::string& value) {
    if (value.find(':') != std::string::npos)
        return fail(ErrorKind::InvalidArgument,
                    "filter for '" + key + "' should not contain ':': " + value);
    auto lookup_error = [&](const std::string& why) {
        return fail(ErrorKind::InvalidArgument,
                    "error while looking up for " + key + " " + value + ": " + why);
    };
    if (value.empty()) return lookup_error("invalid port range: value is empty");
    std::string range = value.substr(0, value.find('/'));
    size_t dash = range.find('-');
    std::string start = range.substr(0, dash);
    if (auto why = port_number_error(start))
        return lookup_error("invalid start port '" + start + "': " + *why);
    if (dash != std::string::npos && range.substr(dash + 1) != start) {
        std::string end = range.substr(dash + 1);
        if (auto why = port_number_error(end))
            return lookup_error("invalid end port '" + end + "': " + *why);
        if (std::stoul(end) < std::stoul(start))
            return lookup_error("invalid port range: " + value);
    }
    return {};
}

// Go's fmt of a []string: [a b].
std::string go_list(const std::vector<std::string>& values) {
    std::string text = "[";
    for (size_t i = 0; i < values.size(); ++i)
        text += (i ? " " : "") + values[i];
    return text + "]";
}

Result<void> check_values(const std::string& key, const std::vector<std::string>& values) {
    auto bad = [&](const std::string& value, const std::string& why) {
        return fail(ErrorKind::InvalidArgument,
                    "invalid filter '" + key + "=" + value + "': " + why);
    };
    for (const auto& value : values) {
        if (key == "exited") {
            if (auto code = atoi_like_go(value); !code) return bad(value, code.error().message());
        } else if (key == "status" && !one_of(kStates, value)) {
            return bad(value, "invalid value for state (" + value + "): must be one of " +
                                  joined(kStates));
        } else if (key == "health" && !one_of(kHealths, value)) {
            return bad(value, "invalid value for health (" + value + "): must be one of " +
                                  joined(kHealths));
        } else if (key == "publish" || key == "expose") {
            TRY(check_port_filter(key, value));
        }
    }
    if (key == "is-task") {
        bool is_false = std::ranges::count(values, "0") || std::ranges::count(values, "false");
        bool is_true = std::ranges::count(values, "1") || std::ranges::count(values, "true");
        if (is_false == is_true)
            return fail(
                ErrorKind::InvalidArgument,
                "invalid filter 'is-task" + (values.empty() ? "" : "=" + go_list(values)) + "'");
    }
    return {};
}

bool label_matches(const Json& labels, const std::string& filter) {
    size_t eq = filter.find('=');
    std::string key = filter.substr(0, eq);
    if (!labels.is_object() || !labels.contains(key)) return false;
    if (eq == std::string::npos) return true;
    const Json& value = labels[key];
    return value.is_string() && value.get<std::string>() == filter.substr(eq + 1);
}

bool has_exited(const ContainerState& state) {
    return state.status != RunState::Running && state.status != RunState::Paused &&
           state.status != RunState::Restarting && state.started_at != kZeroTime;
}

}  // namespace

Result<ListFilter> ListFilter::parse(const Filters& filters) {
    ListFilter filter;
    for (const auto& [key, values] : filters) {
        if (!one_of(kKeys, key))
            return fail(ErrorKind::InvalidArgument, "invalid filter '" + key + "'");
        TRY(check_values(key, values));
    }
    filter.filters_ = filters;
    for (const auto& pattern : filter.values("name")) {
        try {
            filter.name_patterns_.emplace_back(std::regex(pattern));
        } catch (const std::regex_error&) {
            filter.name_patterns_.emplace_back(std::nullopt);  // it can still match exactly
        }
    }
    return filter;
}

bool ListFilter::given(const std::string& key) const {
    auto it = filters_.find(key);
    return it != filters_.end() && !it->second.empty();
}

const std::vector<std::string>& ListFilter::values(const std::string& key) const {
    static const std::vector<std::string> kNone;
    auto it = filters_.find(key);
    return it == filters_.end() ? kNone : it->second;
}

void ListFilter::select_ids(const std::vector<std::string>& all_ids) {
    selected_ids_.clear();
    for (const auto& prefix : values("id")) {
        std::vector<std::string> found;
        for (const auto& id : all_ids)
            if (id.starts_with(prefix)) found.push_back(id);
        // As dockerd's prefix index: an ambiguous prefix selects nothing.
        if (found.size() == 1) selected_ids_.insert(found.front());
    }
}

bool ListFilter::matches_name(const std::string& name) const {
    const auto& patterns = values("name");
    std::string slashed = "/" + name;
    for (size_t i = 0; i < patterns.size(); ++i) {
        if (patterns[i] == name || patterns[i] == slashed) return true;
        const auto& regex = name_patterns_[i];
        if (regex && (std::regex_search(slashed, *regex) || std::regex_search(name, *regex)))
            return true;
    }
    return false;
}

bool ListFilter::matches(const Container& c, const Json& mounts, const Json& networks) const {
    auto any = [&](const char* key, auto&& match) {
        return !given(key) || std::ranges::any_of(values(key), match);
    };
    if (given("id") && !selected_ids_.contains(c.id)) return false;
    if (given("name") && !matches_name(c.name)) return false;
    const Json labels = c.config.value("Labels", Json::object());
    for (const auto& label : values("label"))
        if (!label_matches(labels, label)) return false;
    if (!any("status", [&](const std::string& v) { return v == to_string(c.state.status); }))
        return false;
    if (!any("exited", [&](const std::string& v) {
            return has_exited(c.state) && atoi_like_go(v).value_or(INT_MIN) == c.state.exit_code;
        }))
        return false;
    std::string health =
        c.state.health.is_object() ? c.state.health.value("Status", "none") : "none";
    if (!any("health", [&](const std::string& v) { return v == health; })) return false;
    if (given("ancestor") && !ancestor_images_.contains(c.image_id)) return false;
    if (!any("volume", [&](const std::string& v) {
            return std::ranges::any_of(mounts, [&](const Json& m) {
                return m.value("Destination", "") == v || m.value("Source", "") == v;
            });
        }))
        return false;
    if (!any("network", [&](const std::string& v) { return networks.contains(v); })) return false;
    if (given("is-task") && (std::ranges::count(values("is-task"), "1") ||
                             std::ranges::count(values("is-task"), "true")))
        return false;
    // No container publishes or exposes a port yet.
    return !given("publish") && !given("expose");
}

}  // namespace berth::engine
