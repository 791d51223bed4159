// GET /containers/{id}/changes (docker diff): what a container changed in its file system.
//
// dockerd (overlay2, and the containerd snapshotter) compares the container's merged tree with
// its image's merged tree (archive.ChangesDirs) and reports, per path:
//   Kind 1 (A): in the container, not in the image; everything below an added directory too.
//   Kind 2 (D): in the image, not in the container (only the top of a deleted tree).
//   Kind 0 (C): in both but different: type and permission bits, owner, device number,
//     security.capability, and for non-directories size and mtime (to the second when either
//     side has no sub-second part). Directories' sizes and mtimes are not compared.
//   A directory holding any change is reported modified too (except "/").
//
// Here the same comparison is made without mounting anything: only the overlay upper directory
// can differ from the image, so it is walked, and each of its entries is looked up in the image's
// merged lower layers. Overlay whiteouts (0:0 character devices) delete; an opaque directory
// (trusted.overlay.opaque=y) deletes what the lower layers had below it and the upper does not.
// Output is sorted by path (dockerd's own order follows Go map iteration, i.e. none).
//
// What the runtime creates to mount over (/etc/hostname, /etc/hosts, /etc/resolv.conf, /dev,
// /proc, /sys), which docker keeps in an init layer of its own, is not reported, unless the
// container changed it (mount_placeholders.h): as `docker commit` leaves it out.
//
// Not handled: overlayfs redirect_dir / metacopy upper entries (berth mounts without them).
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "base/json.h"

namespace berth::views {

// upper_dir: the container's overlay upper directory; lower_dirs: the image's layers, top first.
// Returns [{"Path": "/etc", "Kind": 0}, ...], or null when nothing changed (what dockerd sends).
// Nothing is followed: symlinks in the trees are compared as links.
Result<Json> container_changes(const std::string& upper_dir,
                               const std::vector<std::string>& lower_dirs);

}  // namespace berth::views
