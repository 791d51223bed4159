// The container commands besides run/create/start/attach, one group per file, and the helpers
// they share.
#pragma once

#include <string>
#include <vector>

#include "cli/cli_context.h"
#include "cli/go_format.h"  // go_quote, for the Command column

namespace berth::cli {

void add_lifecycle_commands(const CommandGroups& groups, CliContext& context);  // stop, kill, rm...
void add_ps_commands(const CommandGroups& groups, CliContext& context);
void add_logs_commands(const CommandGroups& groups, CliContext& context);
void add_exec_commands(const CommandGroups& groups, CliContext& context);
void add_inspect_commands(const CommandGroups& groups, CliContext& context);  // inspect, top
void add_data_commands(const CommandGroups& groups, CliContext& context);     // cp, export, diff
void add_stats_commands(const CommandGroups& groups, CliContext& context);
void add_update_commit_commands(const CommandGroups& groups, CliContext& context);
void add_system_commands(const CommandGroups& groups, CliContext& context);  // info, version...

inline void add_container_commands(const CommandGroups& groups, CliContext& context) {
    add_lifecycle_commands(groups, context);
    add_ps_commands(groups, context);
    add_logs_commands(groups, context);
    add_exec_commands(groups, context);
    add_inspect_commands(groups, context);
    add_data_commands(groups, context);
    add_stats_commands(groups, context);
    add_update_commit_commands(groups, context);
    add_system_commands(groups, context);
}

// Both `berth NAME` and `berth container NAME` (or only the latter when `top_level` is false).
std::vector<CLI::App*> container_command(const CommandGroups& groups, const std::string& name,
                                         const std::string& description, bool top_level = true);

// docker's ID column: the first 12 hex digits (without "sha256:") unless --no-trunc.
std::string short_id(const std::string& id, bool no_trunc = false);

// y/N confirmation as docker's prune commands ask it.
bool confirm(const std::string& warning);

// Cuts to `width` characters with "…" as the last (docker's Ellipsis).
std::string ellipsis(std::string_view text, size_t width);

// Prints inspected objects as docker does: the raw daemon JSON of each in one indented array,
// or `format` rendered per object.
Result<void> print_inspected(const std::vector<std::string>& raws, const std::string& format);

// Go's json.Indent with docker inspect's four spaces: raw daemon JSON re-indented, key order
// kept.
std::string json_indent(std::string_view raw);

}  // namespace berth::cli
