#!/usr/bin/env python3
"""Writes the binary seed inputs of the fuzz targets that read tars, so none is committed:

  OUT/layer_unpack_fuzz/   layers: plain, gzip and zstd (when the zstd tool is there); symlinks,
                           hardlinks, whiteouts, opaque dirs, and the usual escapes ("..", absolute
                           names, links pointing out, writes through links)
  OUT/image_archive_fuzz/  image archives: docker save (plain and gzip layers, layer as a
                           symlink, two images), OCI layout, a gzip-compressed archive
  OUT/seccomp_fuzz/        docker's default profile (the unit tests' copy in src/runtime/testdata)

usage: make_seeds.py OUT
"""
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile

MTIME = 1700000000


def tar_bytes(entries, fmt=tarfile.PAX_FORMAT):
    """entries: (kind, name, arg) with kind reg (arg: bytes), dir, sym/hard (arg: target),
    fifo. The tar ends right after its end-of-archive blocks (no padding to 10 KiB)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=fmt) as t:
        for kind, name, arg in entries:
            info = tarfile.TarInfo(name)
            info.mtime = MTIME
            info.mode = 0o755 if kind == "dir" else 0o644
            data = None
            if kind == "reg":
                info.size = len(arg)
                data = io.BytesIO(arg)
            elif kind == "dir":
                info.type = tarfile.DIRTYPE
            elif kind == "sym":
                info.type = tarfile.SYMTYPE
                info.linkname = arg
            elif kind == "hard":
                info.type = tarfile.LNKTYPE
                info.linkname = arg
            elif kind == "fifo":
                info.type = tarfile.FIFOTYPE
            t.addfile(info, data)
        end = t.offset
    return buffer.getvalue()[: end + 1024]


def zstd(data):
    if not shutil.which("zstd"):
        return None
    return subprocess.run(["zstd", "-q", "-c", "-3"], input=data, stdout=subprocess.PIPE,
                          check=True).stdout


BASIC = [
    ("dir", "bin", None),
    ("reg", "bin/sh", b"#!/bin/true\n"),
    ("sym", "bin/ash", "sh"),
    ("hard", "bin/hard", "bin/sh"),
    ("dir", "etc", None),
    ("reg", "etc/passwd", b"root:x:0:0::/root:/bin/sh\n"),
    ("sym", "etc/abs", "/etc/passwd"),
    ("fifo", "run.fifo", None),
]

LAYERS = {
    "basic": BASIC,
    "whiteouts": [("dir", "etc", None), ("reg", "etc/.wh.passwd", b""), ("dir", "var", None),
                  ("reg", "var/.wh..wh..opq", b""), ("reg", "var/kept", b"x"),
                  ("reg", ".wh.bin", b"")],
    "whiteout_dotdot": [("reg", ".wh...", b""), ("reg", "a/.wh.../b", b"")],
    "dotdot": [("reg", "../canary/escaped", b"pwned\n")],
    "dotdot_deep": [("reg", "a/../../../../tmp/escaped", b"pwned\n")],
    "absolute": [("reg", "/tmp/escaped", b"pwned\n"), ("dir", "/", None)],
    "symlink_out": [("sym", "out", "../canary"), ("reg", "out/escaped", b"pwned\n")],
    "symlink_abs": [("sym", "tmp", "/tmp"), ("reg", "tmp/escaped", b"pwned\n")],
    "symlink_chain": [("sym", "a", "b"), ("sym", "b", "../../"), ("dir", "a/canary", None),
                      ("reg", "a/canary/escaped", b"pwned\n")],
    "symlink_replace_dir": [("dir", "d", None), ("reg", "d/f", b"1"), ("sym", "d", ".."),
                            ("reg", "d/canary/escaped", b"pwned\n")],
    "hardlink_out": [("hard", "passwd", "../../../etc/passwd")],
    "hardlink_through_symlink": [("sym", "s", "../canary"), ("hard", "h", "s/x"),
                                 ("reg", "h", b"pwned\n")],
    "overwrite": [("reg", "f", b"one"), ("reg", "f", b"two"), ("dir", "f", None),
                  ("sym", "f", "f"), ("hard", "g", "f")],
    "gnu_longname": (
        [("reg", "d" * 150 + "/" + "f" * 120, b"long"), ("sym", "l" * 120, "t" * 200)],
        tarfile.GNU_FORMAT),
    "ustar": ([("reg", "plain", b"ustar")], tarfile.USTAR_FORMAT),
}


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def layer_seeds(out):
    os.makedirs(out, exist_ok=True)
    for name, spec in LAYERS.items():
        entries, fmt = spec if isinstance(spec, tuple) else (spec, tarfile.PAX_FORMAT)
        write(os.path.join(out, name + ".tar"), tar_bytes(entries, fmt))
    basic = tar_bytes(BASIC)
    write(os.path.join(out, "basic.tar.gz"), gzip.compress(basic, mtime=0))
    write(os.path.join(out, "dotdot.tar.gz"), gzip.compress(tar_bytes(LAYERS["dotdot"]), mtime=0))
    zst = zstd(basic)
    if zst:
        write(os.path.join(out, "basic.tar.zst"), zst)
    write(os.path.join(out, "empty.tar"), b"\0" * 1024)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def config_for(layers, arch="amd64"):
    return json.dumps({
        "architecture": arch, "os": "linux", "created": "2024-01-01T00:00:00Z",
        "config": {"Cmd": ["sh"]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + sha256(l) for l in layers]},
    }).encode()


def docker_archive(images, gzip_layers=False, symlink_layer=False):
    """images: [(tag, [layer tar bytes])]"""
    entries, manifest = [], []
    for n, (tag, layers) in enumerate(images):
        config = config_for(layers)
        config_name = sha256(config) + ".json"
        entries.append(("reg", config_name, config))
        paths = []
        for i, layer in enumerate(layers):
            blob = gzip.compress(layer, mtime=0) if gzip_layers else layer
            path = "%d-%d/layer.tar" % (n, i)
            if symlink_layer and i == 0:
                entries.append(("reg", "blobs/%d-%d" % (n, i), blob))
                entries.append(("sym", path, "../blobs/%d-%d" % (n, i)))
            else:
                entries.append(("reg", path, blob))
            paths.append(path)
        manifest.append({"Config": config_name, "RepoTags": [tag] if tag else [],
                         "Layers": paths})
    entries.append(("reg", "manifest.json", json.dumps(manifest).encode()))
    entries.append(("reg", "repositories", b"{}"))
    return tar_bytes(entries)


def oci_archive(layers, ref="docker.io/library/oci:1"):
    blobs = {}

    def blob(data):
        digest = sha256(data)
        blobs[digest] = data
        return {"digest": "sha256:" + digest, "size": len(data)}

    config = config_for(layers)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": dict(mediaType="application/vnd.oci.image.config.v1+json", **blob(config)),
        "layers": [dict(mediaType="application/vnd.oci.image.layer.v1.tar", **blob(l))
                   for l in layers],
    }).encode()
    index = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [dict(mediaType="application/vnd.oci.image.manifest.v1+json",
                           platform={"architecture": "amd64", "os": "linux"},
                           annotations={"io.containerd.image.name": ref,
                                        "org.opencontainers.image.ref.name": "1"},
                           **blob(manifest))],
    }).encode()
    entries = [("reg", "oci-layout", b'{"imageLayoutVersion":"1.0.0"}'),
               ("dir", "blobs/sha256", None)]
    entries += [("reg", "blobs/sha256/" + d, data) for d, data in blobs.items()]
    entries.append(("reg", "index.json", index))
    return tar_bytes(entries)


def archive_seeds(out):
    os.makedirs(out, exist_ok=True)
    small = tar_bytes([("dir", "bin", None), ("reg", "bin/hello", b"hello\n"),
                       ("sym", "bin/hi", "hello")])
    other = tar_bytes([("reg", "etc/.wh.passwd", b""), ("reg", "data", b"1")])
    write(os.path.join(out, "docker.tar"), docker_archive([("hello:1", [small])]))
    write(os.path.join(out, "docker_gzip_layers.tar"),
          docker_archive([("busybox:latest", [small, other])], gzip_layers=True))
    write(os.path.join(out, "docker_symlink_layer.tar"),
          docker_archive([("", [small])], symlink_layer=True))
    write(os.path.join(out, "docker_two_images.tar"),
          docker_archive([("a:1", [small]), ("b:2", [small, other])]))
    write(os.path.join(out, "oci.tar"), oci_archive([small]))
    write(os.path.join(out, "docker.tar.gz"),
          gzip.compress(docker_archive([("gz:1", [other])]), mtime=0))
    write(os.path.join(out, "hostile_layer.tar"),
          docker_archive([("evil:1", [tar_bytes(LAYERS["symlink_out"])])]))


def seccomp_seeds(out):
    os.makedirs(out, exist_ok=True)
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "runtime",
                       "testdata", "docker_default_seccomp.json")
    shutil.copyfile(src, os.path.join(out, "docker_default.json"))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    layer_seeds(os.path.join(sys.argv[1], "layer_unpack_fuzz"))
    archive_seeds(os.path.join(sys.argv[1], "image_archive_fuzz"))
    seccomp_seeds(os.path.join(sys.argv[1], "seccomp_fuzz"))


if __name__ == "__main__":
    main()
