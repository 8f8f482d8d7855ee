#!/usr/bin/env python3
"""start.py MINIDOCK IMAGE_TAR ROOTFS [RUNS]: container start latency beside crun (make bench).

Times, over RUNS runs each (after a warm-up), one container that runs `true`:
  minidock   minidock run --rm busybox true   (the image IMAGE_TAR, loaded first: overlayfs root)
  --rootfs   minidock run --rm --rootfs ROOTFS true (the same files as a plain directory)
  crun       crun run on an OCI bundle of the same root, with the same namespaces (PID, UTS,
             IPC, mount), crun's default mounts and masked paths
  floor      unshare --pid --uts --ipc --mount --fork chroot ROOTFS true: the namespaces
             alone, no mounts: no runtime can start a container faster than this
and prints the median and the spread (10th to 90th percentile) of each.

Needs root. Everything runs in one private mount namespace made for the benchmark. On a host
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
    keep = {"pid", "uts", "ipc", "mount"}  # what minidock makes (labs 1 and 2)
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
    work = tempfile.mkdtemp(prefix="minidock-bench-")
    store = os.path.join(work, "store")
    subprocess.run([minidock, "--root", store, "image", "load", "-i", image], check=True,
                   stdout=subprocess.DEVNULL)
    results = [("minidock", measure(lambda i: [minidock, "--root", store, "run", "--rm", "busybox", "true"], runs)),
               ("--rootfs", measure(lambda i: [minidock, "--root", store, "run", "--rm", "--rootfs", rootfs, "true"], runs))]
    if subprocess.run(["which", "crun"], stdout=subprocess.DEVNULL).returncode == 0:
        bundle = crun_bundle(rootfs, work)
        state = os.path.join(work, "crun-state")
        results.append(("crun", measure(
            lambda i: ["crun", "--root", state, "run", "--bundle", bundle, f"bench-{i + 10}"], runs)))
    results.append(("floor", measure(
        lambda i: ["unshare", "--pid", "--uts", "--ipc", "--mount", "--fork", "chroot", rootfs, "true"], runs)))
    print(f"container start latency, `true` in busybox, {runs} runs each")
    print(f"  {'':<10} {'median':>11}   {'10th - 90th percentile':>22}")
    for name, times in results:
        print(row(name, times))
    by = dict(results)
    if "crun" in by:
        ratio = statistics.median(by["minidock"]) / statistics.median(by["crun"])
        print(f"  minidock / crun: {ratio:.2f} (target: at most 0.50)")


if __name__ == "__main__":
    main()
