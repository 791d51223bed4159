#include "resource_flags.h"

#include <cstdio>

#include "base/byte_size.h"
#include "base/fs.h"
#include "base/parse_int.h"

namespace berth::runtime_cmd {

Result<int64_t> parse_memory_bytes(const std::string& text, std::string_view what) {
    if (text == "-1") return int64_t{-1};
    auto bytes = parse_ram_in_bytes(text);
    if (!bytes) return fail(std::move(bytes).error().context(what));
    return *bytes;
}

Result<Json> update_resources(const cli::ParsedArgs& a) {
    Json r = Json::object();
    if (a.has("resources")) {
        std::string file = a.get("resources");
        std::string text;
        if (file == "-") {
            char buf[8192];
            size_t n;
            while ((n = std::fread(buf, 1, sizeof buf, stdin)) > 0)
                text.append(buf, n);
        } else {
            text = TRY(read_file(file));
        }
        r = TRY(parse_json(text, file == "-" ? "resources (stdin)" : file));
        if (!r.is_object())
            return fail(ErrorKind::InvalidArgument, "--resources: must be a JSON object");
    }
    auto set = [&](const char* flag, const char* group, const char* key,
                   bool bytes) -> Result<void> {
        if (!a.has(flag)) return {};
        r[group][key] = bytes ? TRY(parse_memory_bytes(a.get(flag), std::string("--") + flag))
                              : TRY(parse_int<int64_t>(a.get(flag), std::string("--") + flag));
        return {};
    };
    TRY(set("memory", "memory", "limit", true));
    TRY(set("memory-reservation", "memory", "reservation", true));
    TRY(set("memory-swap", "memory", "swap", true));
    TRY(set("cpu-period", "cpu", "period", false));
    TRY(set("cpu-quota", "cpu", "quota", false));
    TRY(set("cpu-share", "cpu", "shares", false));
    TRY(set("cpu-rt-period", "cpu", "realtimePeriod", false));
    TRY(set("cpu-rt-runtime", "cpu", "realtimeRuntime", false));
    TRY(set("pids-limit", "pids", "limit", false));
    TRY(set("blkio-weight", "blockIO", "weight", false));
    if (a.has("cpuset-cpus")) r["cpu"]["cpus"] = a.get("cpuset-cpus");
    if (a.has("cpuset-mems")) r["cpu"]["mems"] = a.get("cpuset-mems");
    return r;
}

}  // namespace berth::runtime_cmd
