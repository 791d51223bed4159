// berth images, image ls/inspect/rm/tag/history/prune/save/load/import/mount/umount/bootstrap/
// verify, and the top-level shortcuts docker has (images, rmi, tag, history, save, load, import).
#pragma once

#include <CLI/App.hpp>

#include "cli/cli_context.h"

namespace berth::cli {

void add_image_commands(const CommandGroups& groups, CliContext& context);

}  // namespace berth::cli
