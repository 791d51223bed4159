#!/usr/bin/env python3
"""Start-time benchmark: `RUNTIME --root R run --bundle B ID` of /bin/true, berth-runtime vs runc vs crun.

Usually started by `make bench` through bench/run.sh, which builds the bundle. By hand (as root):

    bench/run.sh --runs 20
    python3 bench/runtime_start.py --bundle DIR [--runs N] [--json FILE] [--extra-config PY]...

What one run is: `RUNTIME --root /run/berth-bench.XXXXXX/RUNTIME run --bundle <B> <unique id>`
(stdin /dev/null, stdout+stderr to a log file), started by the small C launcher bench/spawn_measure.c
(--launcher; compiled here with `cc -O2` when not given), which fork()s + execvp()s it and waits with
wait4. Wall time is CLOCK_MONOTONIC around fork..wait4; peak RSS is ru_maxrss of the rusage that
wait4 returns for that child: the largest single process among the runtime and the descendants it
reaped. (Spawned straight from Python, every runtime would show Python's own ~16 MiB: a forked or
vforked child starts from its parent's RSS high-water mark and keeps it across exec.) The runtimes'
state roots sit in a fresh dir under /run, as in real deployments (/run/runc, /run/containerd/runc),
on tmpfs: if /run is not a tmpfs on this host, a tmpfs is mounted on that dir. It is removed at the
end, also after a failure or an interrupt (SIGINT, SIGTERM, SIGHUP). Each run must exit 0. Runtimes
are interleaved round-robin (start order rotates every iteration) so machine noise hits all of them
alike. Before timing, each runtime gets one check run (the container must write a file into a
bind-mounted host dir, so a runtime that exits 0 without running anything is caught) and one
warm-up run of the timed config; neither is counted. A runtime whose binary is missing or whose
first run fails is shown as "failed: <first line of its error>".

--extra-config PY (repeatable, applied in order) is a Python statement run on the bundle's
config.json before anything starts; the config dict is bound to `config` (alias `c`), and `json`,
`os` and `load_json(path)` are available. `--extra-config @file.py` reads the statement(s) from a
file. `--label` names the variant in the output. Example, the "memory + pids limit + seccomp"
variant:

    bench/run.sh --label limits+seccomp \\
      --extra-config 'c["linux"]["resources"] = {"memory": {"limit": 256 << 20}, "pids": {"limit": 100}}' \\
      --extra-config 'c["linux"]["seccomp"] = load_json("/path/to/oci-seccomp-profile.json")'

A `{id}` in linux.cgroupsPath is replaced by each run's container id, so every run (check, warm-up,
timed) gets a fresh cgroup, e.g. `c["linux"]["cgroupsPath"] = "/berth-bench-123/{id}"`; the runtime
must remove it on delete, and whoever picked the parent removes that (bench/run.sh does).

(load_json expects an OCI `linux.seccomp` object; Docker's default profile, in moby's own format,
has to be converted first.) The modified config goes into a separate bundle dir whose root.path
points at the original rootfs; the original bundle is not changed.
"""

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
BASELINE = "berth-runtime"


# ---------------------------------------------------------------------------------------------
# machine facts

def read_first(path, default=""):
    try:
        with open(path) as f:
            return f.readline().strip()
    except OSError:
        return default


def cgroup_layout():
    mounts = []
    try:
        with open("/proc/self/mounts") as f:
            for line in f:
                parts = line.split()
                if parts[2] in ("cgroup", "cgroup2"):
                    mounts.append((parts[1], parts[2]))
    except OSError:
        return "unknown"
    v1 = [m for m, t in mounts if t == "cgroup"]
    v2 = [m for m, t in mounts if t == "cgroup2"]
    if v1 and v2:
        ctrl = read_first(os.path.join(v2[0], "cgroup.controllers")) or "no controllers"
        return f"hybrid (v1 + cgroup2 at {v2[0]}: {ctrl})"
    if v2:
        return "v2 (unified)"
    if v1:
        return "v1"
    return "none mounted"


def machine_facts():
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_kib = 0
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem_kib = int(line.split()[1])
    except OSError:
        pass
    return {
        "kernel": platform.release(),
        "nproc": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)),
        "cpu": cpu,
        "mem_total_mib": mem_kib // 1024,
        "cgroups": cgroup_layout(),
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


def runtime_version(path):
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except Exception as e:  # a version string is decoration, never a reason to stop
        return f"? ({e.__class__.__name__})"


# ---------------------------------------------------------------------------------------------
# bundle variants

def load_json(path):
    with open(path) as f:
        return json.load(f)


def apply_extra_config(config, statements):
    for stmt in statements:
        if stmt.startswith("@"):
            with open(stmt[1:]) as f:
                stmt = f.read()
        env = {"config": config, "c": config, "json": json, "os": os, "load_json": load_json}
        exec(compile(stmt, "<extra-config>", "exec"), env)
        if env["c"] is not config or env["config"] is not config:
            raise SystemExit("--extra-config must modify the config in place, not rebind `config`/`c`")
    return config


def write_bundle(dest, config, rootfs):
    """A bundle dir at dest with config, whose root.path points at the shared rootfs."""
    os.makedirs(dest, exist_ok=True)
    config = json.loads(json.dumps(config))
    config.setdefault("root", {})["path"] = rootfs
    with open(os.path.join(dest, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    return dest


# ---------------------------------------------------------------------------------------------
# state roots on tmpfs under /run

def fs_type(path):
    """Filesystem type of the mount holding path, from /proc/self/mountinfo ("?" if unknown)."""
    path = os.path.realpath(path)
    best, best_type = "", "?"
    try:
        with open("/proc/self/mountinfo") as f:
            for line in f:
                left, _, right = line.partition(" - ")
                mnt = left.split()[4].replace("\\040", " ")
                inside = path == mnt or path.startswith(mnt.rstrip("/") + "/")
                if inside and len(mnt) >= len(best):  # later entries overmount earlier ones
                    best, best_type = mnt, right.split()[0]
    except (OSError, IndexError):
        pass
    return best_type


def make_state_dir():
    """A fresh /run/berth-bench.XXXXXX on tmpfs; returns {"path", "fs", "mounted", "note"}."""
    path = tempfile.mkdtemp(prefix="berth-bench.", dir="/run")
    state = {"path": path, "fs": fs_type(path), "mounted": False, "note": ""}
    if state["fs"] != "tmpfs":
        host_fs = state["fs"]
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0700,size=256m", "berth-bench", path],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True)
        if r.returncode == 0:
            state.update(fs="tmpfs", mounted=True, note=f"mounted by the bench: /run is {host_fs} here")
        else:
            err = (r.stderr or r.stdout).strip().splitlines()
            state["note"] = f"NOT tmpfs: mounting one failed ({err[0] if err else 'mount failed'})"
    return state


def remove_state_dir(state):
    if state["mounted"]:
        if subprocess.run(["umount", state["path"]], stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode != 0:
            subprocess.run(["umount", "-l", state["path"]], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    shutil.rmtree(state["path"], ignore_errors=True)


def on_termination(signum, frame):
    """SIGTERM/SIGHUP unwind like Ctrl-C, so that the finally blocks remove the state dir."""
    raise KeyboardInterrupt(f"signal {signum}")


# ---------------------------------------------------------------------------------------------
# one run

class Timeout(Exception):
    pass


def build_launcher(dest_dir):
    out = os.path.join(dest_dir, "spawn_measure")
    cc = os.environ.get("CC", "cc")
    r = subprocess.run([cc, "-O2", "-o", out, os.path.join(HERE, "spawn_measure.c")],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"runtime_start.py: building the launcher with {cc} failed:\n{r.stderr}")
    return out


def launch(launcher, argv, log_path, timeout_s):
    """Run argv through the launcher; returns (rc, wall_ns, maxrss_kib), raises Timeout.

    Only the launcher's fork..wait4 is timed; starting the launcher and parsing its output are not.
    """
    try:
        r = subprocess.run([launcher, log_path, str(max(1, round(timeout_s * 1000))), *argv],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout_s + 30)
    except subprocess.TimeoutExpired:  # backstop only: the launcher kills the command itself
        raise Timeout(f"timed out after {timeout_s:g}s (launcher killed)")
    fields = r.stdout.split()
    if r.returncode != 0 or len(fields) != 4:
        err = (r.stderr.strip() or f"exit status {r.returncode}").splitlines()[0]
        raise RuntimeError(f"launcher failed: {err}")
    rc, wall_ns, maxrss_kib, timed_out = (int(x) for x in fields)
    if timed_out:
        raise Timeout(f"timed out after {timeout_s:g}s")
    return rc, wall_ns, maxrss_kib


CGROUP_ID_PLACEHOLDER = "{id}"


def bundle_for_run(bundle, cid):
    """If the bundle's linux.cgroupsPath contains "{id}", a sibling bundle whose cgroupsPath has the run's
    container id in its place (so every run gets a cgroup of its own); else the bundle itself.
    Written before the launcher starts: not part of the timed run."""
    path = os.path.join(bundle, "config.json")
    with open(path) as f:
        text = f.read()
    if CGROUP_ID_PLACEHOLDER not in text:
        return bundle
    config = json.loads(text)
    cg = config.get("linux", {}).get("cgroupsPath", "")
    if CGROUP_ID_PLACEHOLDER not in cg:
        return bundle
    config["linux"]["cgroupsPath"] = cg.replace(CGROUP_ID_PLACEHOLDER, cid)
    dest = bundle.rstrip("/") + "-run"
    os.makedirs(dest, exist_ok=True)
    with open(os.path.join(dest, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    return dest


def run_once(rt, bundle, cid, log_path, timeout_s):
    """Run `rt --root ROOT run --bundle bundle cid` through the launcher; returns (rc, wall_ns, maxrss_kib)."""
    bundle = bundle_for_run(bundle, cid)
    argv = [rt["path"], "--root", rt["root"], "run", "--bundle", bundle, cid]
    return launch(rt["launcher"], argv, log_path, timeout_s)


def first_error_line(log_path, rc):
    try:
        with open(log_path, errors="replace") as f:
            for line in f:
                if line.strip():
                    return line.strip()
    except OSError:
        pass
    return f"exit status {rc}" if rc >= 0 else f"killed by signal {-rc}"


def force_delete(rt, cid):
    """Best effort: a failed or killed run may leave container state (and runc/crun cgroups) behind."""
    try:
        subprocess.run([rt["path"], "--root", rt["root"], "delete", "--force", cid],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=30)
    except Exception:
        pass


def run_checked(rt, bundle, cid, timeout_s):
    """One run that must exit 0; returns (wall_ns, maxrss_kib) or raises RuntimeError(first error line)."""
    log = os.path.join(rt["dir"], "last.log")
    try:
        rc, wall, rss = run_once(rt, bundle, cid, log, timeout_s)
    except Timeout as e:
        force_delete(rt, cid)
        raise RuntimeError(str(e))
    if rc != 0:
        msg = first_error_line(log, rc)
        force_delete(rt, cid)
        raise RuntimeError(f"{msg} (exit {rc})" if not msg.startswith(("exit status", "killed")) else msg)
    return wall, rss


def check_container_ran(rt, config, rootfs, timeout_s):
    """Run `sh -c 'echo $$ > /tmp/ran'` with a host dir bound on /tmp; the file must appear."""
    out_dir = os.path.join(rt["dir"], "check-out")
    os.makedirs(out_dir, exist_ok=True)
    cfg = json.loads(json.dumps(config))
    cfg["process"]["args"] = ["/bin/sh", "-c", "echo $$ > /tmp/ran"]
    cfg.setdefault("mounts", []).append(
        {"destination": "/tmp", "type": "bind", "source": out_dir, "options": ["rbind", "rw"]})
    bundle = write_bundle(os.path.join(rt["dir"], "check-bundle"), cfg, rootfs)
    run_checked(rt, bundle, f"{rt['id_prefix']}-check", timeout_s)
    marker = os.path.join(out_dir, "ran")
    if not os.path.exists(marker):
        raise RuntimeError("exited 0 but the container process never ran (no marker file written)")
    return read_first(marker)


# ---------------------------------------------------------------------------------------------
# statistics and output

def percentile(values, q):
    """Linear interpolation between closest ranks (numpy's default), q in [0, 100]."""
    s = sorted(values)
    if len(s) == 1:
        return s[0]
    k = (len(s) - 1) * q / 100.0
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def ratio_text(t, base):
    if t is None or base is None:
        return "n/a"
    if abs(t - base) / base < 0.05:
        return "same (within 5%)"
    if t > base:
        return f"{t / base:.1f}x slower"
    return f"{base / t:.1f}x faster"


def print_table(rows):
    headers = ["runtime", "runs", "median ms", "p90 ms", "median peak RSS MiB", f"time vs {BASELINE}"]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"
    print(line(headers))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line(r))


# ---------------------------------------------------------------------------------------------

def find_runtimes(args):
    berth_bin = args.berth_bin or os.environ.get("BERTH_BIN") or os.path.join(REPO, "build", "bin")
    found = {
        BASELINE: os.path.join(berth_bin, BASELINE),
        "runc": shutil.which("runc") or "/usr/sbin/runc",
        "crun": shutil.which("crun") or "/usr/bin/crun",
    }
    for spec in args.runtime:
        name, sep, path = spec.partition("=")
        if not sep or not name or not path:
            raise SystemExit(f"--runtime wants NAME=PATH, got {spec!r}")
        found[name] = path
    if args.only:
        wanted = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in wanted if n not in found]
        if unknown:
            raise SystemExit(f"--only: unknown runtime(s) {', '.join(unknown)}")
        found = {n: found[n] for n in wanted}
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bundle", required=True, help="bundle dir (config.json + rootfs), e.g. from bench/make-bundle.sh")
    ap.add_argument("--runs", type=int, default=100, help="timed runs per runtime (default 100)")
    ap.add_argument("--berth-bin", help="dir holding berth-runtime (default $BERTH_BIN, else <repo>/build/bin)")
    ap.add_argument("--runtime", action="append", default=[], metavar="NAME=PATH",
                    help="add a runtime or override the path of berth-runtime/runc/crun")
    ap.add_argument("--only", metavar="A,B", help="benchmark only these runtimes")
    ap.add_argument("--extra-config", action="append", default=[], metavar="PY",
                    help="python statement applied to the config dict (see the top of this file)")
    ap.add_argument("--label", default="", help="name of this config variant, printed and saved")
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds before one run is killed (default 30)")
    ap.add_argument("--json", metavar="FILE", help="save machine facts, config and every run's figures")
    ap.add_argument("--strict", action="store_true", help="exit 1 if any runtime failed")
    ap.add_argument("--launcher", help="compiled bench/spawn_measure.c (default: built into a temp dir with cc -O2)")
    args = ap.parse_args()
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    if os.geteuid() != 0:
        raise SystemExit("runtime_start.py: must run as root (the runtimes create namespaces and mounts)")

    bundle = os.path.abspath(args.bundle)
    config = load_json(os.path.join(bundle, "config.json"))
    rootfs = config.get("root", {}).get("path", "rootfs")
    rootfs = rootfs if os.path.isabs(rootfs) else os.path.join(bundle, rootfs)
    apply_extra_config(config, args.extra_config)

    facts = machine_facts()
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_termination)
    tag = f"bench{os.getpid()}"
    runtimes = []
    state = None
    floor_kib = None
    work = tempfile.mkdtemp(prefix="berth-bench-runs.")
    try:
        state = make_state_dir()
        launcher = os.path.abspath(args.launcher) if args.launcher else build_launcher(work)
        timed_bundle = write_bundle(os.path.join(work, "bundle"), config, rootfs)

        for name, path in find_runtimes(args).items():
            d = os.path.join(work, name)
            os.makedirs(d)
            rt = {"name": name, "path": path, "dir": d, "root": os.path.join(state["path"], name),
                  "launcher": launcher, "id_prefix": f"{tag}-{name}", "version": None, "error": None,
                  "check_pid": None, "wall_ns": [], "maxrss_kib": [], "failures": []}
            runtimes.append(rt)
            if not (os.path.isfile(path) and os.access(path, os.X_OK)):
                rt["error"] = f"{path}: no such executable"
                continue
            rt["version"] = runtime_version(path)

        # the zero point of the RSS column: a trivial command through the same launcher
        if os.access("/bin/true", os.X_OK):
            try:
                floor_kib = statistics.median(
                    launch(launcher, ["/bin/true"], os.path.join(work, "floor.log"), 10)[2] for _ in range(5))
            except (RuntimeError, Timeout):
                pass

        print(f"# runtime start benchmark{' — variant ' + args.label if args.label else ''}")
        print(f"kernel {facts['kernel']}, nproc {facts['nproc']} (usable {facts['usable_cpus']}), "
              f"{facts['cpu'] or 'cpu ?'}, {facts['mem_total_mib']} MiB RAM")
        print(f"cgroups: {facts['cgroups']}; python {facts['python']}; {facts['date']}")
        for rt in runtimes:
            print(f"  {rt['name']}: {rt['path']} — {rt['version'] or rt['error']}")
        print(f"workload: RUNTIME --root {state['path']}/RUNTIME run --bundle <B> <id> of "
              f"{config['process']['args']}, {args.runs} timed runs each, interleaved; "
              f"1 check run + 1 warm-up not counted")
        print(f"state roots: fresh dir under /run on {state['fs']}"
              f"{' (' + state['note'] + ')' if state['note'] else ''}, removed at the end")
        print("launcher: bench/spawn_measure.c (fork + execvp + wait4 from a small C process); "
              + (f"RSS floor: /bin/true through it peaks at {floor_kib / 1024:.1f} MiB"
                 if floor_kib is not None else "RSS floor not measured"))
        if args.extra_config:
            print(f"extra config: {' ; '.join(args.extra_config)}")
        print(flush=True)

        # the first run of each runtime: proof that it really runs a container, then a warm-up
        for rt in runtimes:
            if rt["error"]:
                continue
            try:
                rt["check_pid"] = check_container_ran(rt, config, rootfs, args.timeout)
                run_checked(rt, timed_bundle, f"{rt['id_prefix']}-warmup", args.timeout)
            except RuntimeError as e:
                rt["error"] = str(e)

        live = [rt for rt in runtimes if not rt["error"]]
        for i in range(args.runs):
            k = i % len(live) if live else 0
            for rt in live[k:] + live[:k]:
                if rt["error"]:
                    continue
                try:
                    wall, rss = run_checked(rt, timed_bundle, f"{rt['id_prefix']}-{i}", args.timeout)
                except RuntimeError as e:
                    rt["failures"].append({"run": i, "error": str(e)})
                    if len(rt["failures"]) >= 5 and not rt["wall_ns"]:
                        rt["error"] = f"first 5 timed runs failed: {e}"
                    continue
                rt["wall_ns"].append(wall)
                rt["maxrss_kib"].append(rss)
    finally:
        for rt in runtimes:
            if os.path.isdir(rt["root"]):
                leftovers = [c for c in os.listdir(rt["root"]) if c.startswith(tag)]
                for cid in leftovers:
                    force_delete(rt, cid)
        if state:
            remove_state_dir(state)
        shutil.rmtree(work, ignore_errors=True)

    # ---- results
    med = {}
    for rt in runtimes:
        if rt["wall_ns"]:
            med[rt["name"]] = statistics.median(rt["wall_ns"]) / 1e6
    base = med.get(BASELINE)
    rows = []
    for rt in runtimes:
        if not rt["wall_ns"]:
            rows.append([rt["name"], "0", "-", "-", "-", f"failed: {rt['error'] or 'no successful run'}"])
            continue
        n_ok = len(rt["wall_ns"])
        runs = str(n_ok) if not rt["failures"] else f"{n_ok} ({len(rt['failures'])} failed)"
        ms = [w / 1e6 for w in rt["wall_ns"]]
        rss = statistics.median(rt["maxrss_kib"]) / 1024
        if rt["name"] == BASELINE:
            vs = "baseline"
        elif base is None:
            vs = f"n/a ({BASELINE} failed)"
        else:
            vs = ratio_text(med[rt["name"]], base)
        rows.append([rt["name"], runs, f"{med[rt['name']]:.2f}", f"{percentile(ms, 90):.2f}", f"{rss:.1f}", vs])
    print_table(rows)
    print()
    for rt in runtimes:
        if rt["failures"]:
            print(f"{rt['name']}: {len(rt['failures'])} timed run(s) failed, first: {rt['failures'][0]['error']}")
    print("time: wall clock (CLOCK_MONOTONIC) from the launcher's fork to its wait4 returning, i.e. the whole")
    print("  `run` including the container's /bin/true and the runtime's teardown. ratio = median / median of")
    print("  berth-runtime.")
    print("peak RSS: ru_maxrss from the launcher's wait4 = the largest single process among the runtime and")
    print("  its reaped descendants (a process keeps its peak across exec) — not a sum. For runc this is the")
    print("  Go `runc run` process (or its `runc init` child, whichever peaked higher); for crun and")
    print("  berth-runtime the C/C++ runtime process and its forked container init before /bin/true.")

    if args.json:
        out = {
            "label": args.label,
            "machine": facts,
            "runs_requested": args.runs,
            "extra_config": args.extra_config,
            "state_root": {k: state[k] for k in ("path", "fs", "note")},
            "rss_floor_kib": floor_kib,
            "config": config,
            "runtimes": [
                {k: rt[k] for k in ("name", "path", "version", "error", "check_pid", "wall_ns",
                                    "maxrss_kib", "failures")}
                for rt in runtimes
            ],
        }
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)
        print(f"\nraw results: {args.json}")

    if args.strict and any(not rt["wall_ns"] or rt["failures"] for rt in runtimes):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
