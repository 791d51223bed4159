// What every berth command shares: where the engine's state is, the image service opened on
// first use, and the exit code the command chose.
#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include "base/error.h"
#include "image/image_service.h"

namespace berth::cli {

class CliContext {
  public:
    std::string root = "/var/lib/berth";
    int exit_code = 0;

    Result<image::ImageService*> images() {
        if (!images_) images_ = TRY(image::ImageService::open(root));
        return images_.get();
    }

    // Prints "Error: <message>" on stderr and sets the exit code (docker uses 1 for API errors).
    void report(const Error& error, int code = 1) {
        std::fprintf(stderr, "Error: %s\n", error.message().c_str());
        exit_code = code;
    }

  private:
    std::unique_ptr<image::ImageService> images_;
};

}  // namespace berth::cli
