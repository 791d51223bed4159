// What the runtime makes in a container's root file system to mount over: empty files at
// /etc/hostname, /etc/hosts and /etc/resolv.conf (for the container's own copies), and /dev,
// /proc, /sys. docker makes these in an init layer below the container's own, so that neither
// `docker diff` nor `docker commit` shows them; berth makes them in the container's writable
// layer, and leaves them out of `docker diff` and `docker commit` as docker's init layer would
// hide them. (`docker export` shows the merged tree, placeholders included, as docker's does.)
#pragma once

#include <string>
#include <vector>

#include "image/layer_diff.h"

namespace berth::views {

// The paths of `upper_dir` (a container's overlay upper directory; its image's layers are
// `lower_dirs`, top first) that hold nothing of the container's own: the placeholders as the
// runtime made them (empty files; directories with nothing but empty directories and files
// below), and a directory that holds only those and is as the image has it, or that the image
// lacks (made to hold them). A placeholder the container changed (written after an umount)
// stays.
image::LeftOutPaths mount_placeholders_in(const std::string& upper_dir,
                                          const std::vector<std::string>& lower_dirs);

}  // namespace berth::views
