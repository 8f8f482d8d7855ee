#!/usr/bin/env python3
"""start.py MINIDOCK IMAGE_TAR ROOTFS [RUNS]: container start latency beside crun (make bench).

Times, over RUNS runs each (after a warm-up), one container that runs `true`, like for like:
  none       minidock run --rm --network none busybox true (the image IMAGE_TAR, loaded first:
             overlayfs root; a network namespace of its own with its loopback up)
  bridge     the same on the default bridge network (veth, address, NAT): reported apart, as
             the cost of a network over none
  --rootfs   minidock run --rm --network none --rootfs ROOTFS true (a plain directory)
  crun       crun run on an OCI bundle of the same root, with the same namespaces (PID, UTS,
             IPC, mount, network), crun's default mounts and masked paths
  floor      unshare --pid --uts --ipc --mount --fork chroot ROOTFS true: the namespaces
             alone, no mounts: no runtime can start a container faster than this
and prints the median and the spread (10th to 90th percentile) of each.

Needs root. Everything runs in one private mount namespace made for the benchmark. The state
directory and the bundle are made under $MINIDOCK_BENCH_DIR (default: the system's temporary
directory); its file system is printed, as it decides much of the result (the container's
directory is metadata work: a tmpfs and an ext4 disk differ by milliseconds). On a host
with hybrid cgroups (v1 controllers, v2 "unified" beside them), crun refuses to start unless
/sys/fs/cgroup/unified/cgroup.controllers looks empty: the benchmark bind-mounts an empty file
over it, inside that namespace only.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

UNIFIED = "/sys/fs/cgroup/unified/cgroup.controllers"


def enter_private_namespace():
    """Re-run this script inside `unshare --mount` (private propagation), once."""
    if os.environ.get("MINIDOCK_BENCH_NS"):
        if os.path.exists(UNIFIED):
            empty = tempfile.NamedTemporaryFile(delete=False)
            subprocess.run(["mount", "--bind", empty.name, UNIFIED], check=True)
        return
    env = dict(os.environ, MINIDOCK_BENCH_NS="1")
    os.execvpe("unshare", ["unshare", "--mount", "--propagation", "private",
                           sys.executable] + sys.argv, env)


def crun_bundle(rootfs, workdir):
    bundle = os.path.join(workdir, "bundle")
    os.makedirs(bundle)
    subprocess.run(["crun", "spec"], cwd=bundle, check=True)
    path = os.path.join(bundle, "config.json")
    with open(path) as f:
        spec = json.load(f)
    spec["root"] = {"path": os.path.abspath(rootfs), "readonly": False}
    spec["process"]["args"] = ["true"]
    spec["process"]["terminal"] = False
    keep = {"pid", "uts", "ipc", "mount", "network"}  # what minidock makes (labs 1, 2, 6)
    spec["linux"]["namespaces"] = [n for n in spec["linux"]["namespaces"] if n["type"] in keep]
    spec["mounts"] = [m for m in spec["mounts"] if m["destination"] != "/sys/fs/cgroup"]
    with open(path, "w") as f:
        json.dump(spec, f)
    return bundle


def measure(cmd, runs):
    for _ in range(3):  # warm-up: page cache, first exec
        subprocess.run(cmd(-1), check=True, stdout=subprocess.DEVNULL)
    times = []
    for i in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd(i), check=True, stdout=subprocess.DEVNULL)
        times.append((time.perf_counter() - start) * 1000)
    return times


def row(name, times):
    q = statistics.quantiles(times, n=10)
    return f"  {name:<10} {statistics.median(times):8.2f} ms   {q[0]:7.2f} - {q[-1]:7.2f} ms"


def main():
    if os.geteuid() != 0:
        sys.exit("bench: start latency needs root")
    minidock, image, rootfs = (os.path.abspath(a) for a in sys.argv[1:4])
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 30
    enter_private_namespace()
    work = tempfile.mkdtemp(prefix="minidock-bench-", dir=os.environ.get("MINIDOCK_BENCH_DIR"))
    fs = subprocess.run(["stat", "-f", "-c", "%T", work], capture_output=True, text=True).stdout.strip()
    store = os.path.join(work, "store")
    subprocess.run([minidock, "--root", store, "image", "load", "-i", image], check=True,
                   stdout=subprocess.DEVNULL)
    results = [("none", measure(lambda i: [minidock, "--root", store, "run", "--rm", "--network", "none", "busybox", "true"], runs)),
               ("bridge", measure(lambda i: [minidock, "--root", store, "run", "--rm", "busybox", "true"], runs)),
               ("--rootfs", measure(lambda i: [minidock, "--root", store, "run", "--rm", "--network", "none",
                                               "--rootfs", rootfs, "true"], runs))]
    if subprocess.run(["which", "crun"], stdout=subprocess.DEVNULL).returncode == 0:
        bundle = crun_bundle(rootfs, work)
        state = os.path.join(work, "crun-state")
        results.append(("crun", measure(
            lambda i: ["crun", "--root", state, "run", "--bundle", bundle, f"bench-{i + 10}"], runs)))
    results.append(("floor", measure(
        lambda i: ["unshare", "--pid", "--uts", "--ipc", "--mount", "--fork", "chroot", rootfs, "true"], runs)))
    print(f"container start latency, `true` in busybox, {runs} runs each, state on {fs} ({work})")
    print(f"  {'':<10} {'median':>11}   {'10th - 90th percentile':>22}")
    for name, times in results:
        print(row(name, times))
    by = dict(results)
    if "crun" in by:
        ratio = statistics.median(by["none"]) / statistics.median(by["crun"])
        print(f"  none / crun: {ratio:.2f} (target: at most 0.50)")
    extra = statistics.median(by["bridge"]) - statistics.median(by["none"])
    print(f"  bridge - none: {extra:.2f} ms (target: at most 2 ms)")


if __name__ == "__main__":
    main()
