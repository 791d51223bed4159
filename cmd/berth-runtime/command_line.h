// A small parser for runc's command line: global flags, one subcommand, its flags and positional
// arguments. Flags are "--name", "--name=value", "--name value", "-n" or "-n value"; urfave/cli's
// single-dash long form ("-bundle") is accepted too, as runc accepts it. Kept tiny on purpose:
// every container start runs this binary twice, and a general-purpose parser cost a measurable
// part of the start time.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace berth::cli {

struct FlagSpec {
    std::string_view names;  // "b,bundle": short and long names, comma-separated
    bool takes_value;
    std::string_view help;
};

struct ParsedArgs {
    std::map<std::string, std::vector<std::string>, std::less<>> values;  // by long name
    std::vector<std::string> positionals;

    bool has(std::string_view name) const { return values.find(name) != values.end(); }
    // The last value given for a flag, or `fallback`.
    std::string get(std::string_view name, std::string fallback = {}) const;
    const std::vector<std::string>& all(std::string_view name) const;
};

// Parses args[begin..end) against `specs`. With `stop_at_positional`, the first positional and
// everything after it are positionals (for `exec ID COMMAND...`).
Result<ParsedArgs> parse_flags(const std::vector<std::string>& args, size_t begin, size_t end,
                               const std::vector<FlagSpec>& specs, bool stop_at_positional,
                               std::string_view context);

// "  -b, --bundle VALUE   path to the bundle" lines for help output.
std::string describe_flags(const std::vector<FlagSpec>& specs);

}  // namespace berth::cli
