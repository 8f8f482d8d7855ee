#!/usr/bin/env python3
"""vm.py KERNEL INITRAMFS [RUNS]: container start latency inside the grader VM (make bench).

Containers run as root and change the machine (namespaces, mounts, a bridge, nftables): they
are measured in the VM, never on the machine that runs the benchmark. This boots the VM of
SUBMISSION=solutions with bench/start.sh and an OCI bundle for crun (made here with `crun
spec`, edited to match what minidock makes: the same namespaces, no cgroup) appended as a
second initramfs archive, and prints what start.sh reports on the results channel.
Under TCG (no KVM) every number is several times what a real machine gives: compare the rows
with each other, not with a laptop's.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "grader"))
import grade  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOTFS_IN_VM = "/grader/images/busybox/rootfs"


def crun_config(where):
    """crun's default spec, for `true` in the busybox root, with minidock's namespaces."""
    if not shutil.which("crun"):
        return False
    subprocess.run(["crun", "spec"], cwd=where, check=True)
    path = os.path.join(where, "config.json")
    with open(path) as f:
        spec = json.load(f)
    spec["root"] = {"path": ROOTFS_IN_VM, "readonly": False}
    spec["process"]["args"] = ["true"]
    spec["process"]["terminal"] = False
    keep = {"pid", "uts", "ipc", "mount", "network"}  # what minidock makes (labs 1, 2, 6)
    spec["linux"]["namespaces"] = [n for n in spec["linux"]["namespaces"] if n["type"] in keep]
    spec["mounts"] = [m for m in spec["mounts"] if m["destination"] != "/sys/fs/cgroup"]
    with open(path, "w") as f:
        json.dump(spec, f)
    return True


def main():
    kernel, initramfs = sys.argv[1:3]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    with tempfile.TemporaryDirectory(prefix="minidock-bench-") as tmp:
        extra = os.path.join(tmp, "root")
        bench = os.path.join(extra, "grader", "bench")
        os.makedirs(os.path.join(bench, "bundle"))
        shutil.copy(os.path.join(HERE, "start.sh"), bench)
        if not crun_config(os.path.join(bench, "bundle")):
            print("(crun is not installed: no crun row; make deps installs it)")
        # The kernel unpacks concatenated archives in turn: the second adds to the first.
        image = os.path.join(tmp, "bench.cpio")
        with open(image, "wb") as out:
            with open(initramfs, "rb") as base:
                shutil.copyfileobj(base, out)
            names = subprocess.run(["find", ".", "-mindepth", "1"], cwd=extra, check=True,
                                   capture_output=True, text=True).stdout
            out.flush()
            subprocess.run(["cpio", "-o", "-H", "newc", "--owner", "0:0", "--quiet"], cwd=extra,
                           input=names.encode(), stdout=out, check=True)
        accel = grade.choose_accel(kernel, image, "auto")
        cmd = grade.qemu_command(kernel, image, accel, f"minidock.mode=bench minidock.runs={runs}",
                                 "null", "stdio")
        print(f"(in the grader VM, on {'KVM' if accel == 'kvm' else 'TCG: no KVM, slower'})",
              flush=True)
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL)
        try:
            for line in proc.stdout:
                text = line.decode("utf-8", "replace").rstrip("\r\n")
                if text == "done":
                    break
                print(text, flush=True)
        finally:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    main()
