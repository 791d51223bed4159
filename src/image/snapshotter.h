// The overlayfs snapshotter: every layer is unpacked once into a directory named by its chain ID
// and shared by every image that has it; a container's root is an overlay mount of those
// read-only directories plus a writable upper directory of its own (an "active" snapshot).
//
// Layout under root:
//   layers/<chain hex>/   committed layer contents (never changed once there)
//   active/<key>/upper    a container's writable layer, active/<key>/work overlay's scratch dir
//   tmp/                  layers being unpacked; moved into layers/ by rename when complete
//
// Thread safety: all methods may be called from several threads; a layer committed twice keeps
// the first copy.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/digest.h"
#include "base/error.h"

namespace berth::image {

class OverlaySnapshotter {
  public:
    static Result<OverlaySnapshotter> open(std::string root);

    const std::string& root() const { return root_; }
    std::string layer_path(const Digest& chain_id) const;
    bool has_layer(const Digest& chain_id) const;

    // A fresh empty directory under tmp/ to unpack a layer into.
    Result<std::string> make_temp_dir() const;
    // Moves a filled temp dir into place as `chain_id`. Returns false (and removes the temp dir)
    // when the layer was already there.
    Result<bool> commit_layer(const std::string& temp_dir, const Digest& chain_id) const;
    Result<void> remove_layer(const Digest& chain_id) const;
    Result<std::vector<Digest>> list_layers() const;
    // Removes leftovers of interrupted unpacks; call only while no unpack runs (under the GC lock).
    Result<void> clean_temp() const;

    // Writable snapshots (one per container or build step).
    Result<void> prepare_active(const std::string& key) const;
    std::string upper_dir(const std::string& key) const;
    Result<void> remove_active(const std::string& key) const;
    // Moves a writable snapshot out of the way (one rename into tmp/) and returns where it went
    // (empty when there was none), for the caller to delete when it suits; tmp/ holds nothing
    // that outlives a restart.
    Result<std::string> retire_active(const std::string& key) const;
    // Puts back what retire_active moved to `retired` (a removal that could not complete).
    Result<void> unretire_active(const std::string& key, const std::string& retired) const;
    Result<std::vector<std::string>> list_active() const;

    // Mounts the layers (bottom first, as in an image config) at `target`: read-only when no
    // active key is given, otherwise writable with that snapshot's upper dir. `disposable`: the
    // snapshot is deleted after its one use (docker run --rm), so the mount is overlayfs
    // "volatile": no syncs of the upper file system, which an unmount otherwise forces (an ext4
    // journal commit, ~3 ms). Kernels without it (< 5.10) mount it as usual.
    Result<void> mount(const std::vector<Digest>& chain_ids,
                       const std::optional<std::string>& active_key, const std::string& target,
                       bool disposable = false) const;

  private:
    explicit OverlaySnapshotter(std::string root) : root_(std::move(root)) {}
    std::string root_;
};

// Unmounts what mount() mounted (lazily when busy is not wanted: plain umount2 with no flags).
Result<void> unmount_rootfs(const std::string& target);

}  // namespace berth::image
