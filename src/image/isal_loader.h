// ISA-L's igzip inflate, loaded on first use rather than when a program starts: only layer
// unpacking needs it, and every library a program links costs each of its starts (the berth CLI
// is timed end to end against docker).
#pragma once

#include <isa-l/igzip_lib.h>

namespace berth::image {

struct IsalInflate {
    decltype(&::isal_inflate_init) init;
    decltype(&::isal_inflate_reset) reset;
    decltype(&::isal_inflate) inflate;
};

// nullptr when libisal is not installed: gzip then goes through zlib, about half as fast.
const IsalInflate* isal_inflate_functions();

}  // namespace berth::image
