// The berth command line: docker's commands, flags, output and exit codes.
#pragma once

namespace berth::cli {

int run(int argc, char** argv);

}  // namespace berth::cli
