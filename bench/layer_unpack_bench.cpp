// berth-bench-unpack LAYER TARGET_DIR — unpacks one layer blob (tar, tar+gzip, tar+zstd) with
// berth's layer unpacker, so bench/image_load.sh can time it against `tar -x`.
#include <fcntl.h>

#include <cstdio>

#include "base/unique_fd.h"
#include "image/layer_unpack.h"

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s LAYER TARGET_DIR\n", argv[0]);
        return 2;
    }
    berth::UniqueFd fd(::open(argv[1], O_RDONLY | O_CLOEXEC));
    if (!fd) {
        std::perror(argv[1]);
        return 1;
    }
    auto result = berth::image::unpack_layer(fd.get(), argv[2]);
    if (!result) {
        std::fprintf(stderr, "unpack: %s\n", result.error().message().c_str());
        return 1;
    }
    std::printf("%s %llu bytes %llu entries\n", result->diff_id.str().c_str(),
                static_cast<unsigned long long>(result->uncompressed_size),
                static_cast<unsigned long long>(result->entries));
    return 0;
}
