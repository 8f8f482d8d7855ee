#!/usr/bin/env python3
"""vm.py KERNEL INITRAMFS [RUNS]: container start latency inside the grader VM (make bench).

Containers run as root and change the machine (namespaces, mounts, a bridge, nftables): they
are measured in the VM, never on the machine that runs the benchmark. This boots the VM of
SUBMISSION=solutions with bench/start.sh and an OCI bundle for crun (made here with `crun
spec`, edited to what Docker would hand runc: the same namespaces, Docker's capabilities, its
default seccomp profile, a cgroup with its device rules) appended as a second initramfs archive, and prints what start.sh reports on the results channel.
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


# Docker's default capabilities (moby's oci/caps/defaults.go), as lab 5 gives them.
DOCKER_CAPS = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
               "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
               "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"]
DOCKER_PROFILE = os.path.join(HERE, "..", "build", "vm", "docker", "seccomp-default.json")


def docker_seccomp(path):
    """Docker's default.json as the OCI runtime spec's linux.seccomp, for an x86-64 host and
    DOCKER_CAPS: what dockerd hands to runc (a rule kept when its includes hold and its
    excludes do not)."""
    with open(path) as f:
        profile = json.load(f)
    arches = ("amd64", "x86", "x32")

    def holds(cond, default):
        caps = cond.get("caps") or []
        where = cond.get("arches") or []
        if not caps and not where:
            return default
        return all(c in DOCKER_CAPS for c in caps) and (not where or any(a in arches for a in where))

    syscalls = []
    for rule in profile["syscalls"]:
        if not holds(rule.get("includes") or {}, True):
            continue
        excl = rule.get("excludes") or {}
        if any(c in DOCKER_CAPS for c in excl.get("caps") or []) or \
                any(a in arches for a in excl.get("arches") or []):
            continue
        names = rule.get("names") or [rule["name"]]
        out = {"names": names, "action": rule["action"]}
        if rule.get("args"):
            out["args"] = rule["args"]
        if "errnoRet" in rule:
            out["errnoRet"] = rule["errnoRet"]
        syscalls.append(out)
    return {"defaultAction": profile["defaultAction"], "defaultErrnoRet": 1,
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            "syscalls": syscalls}


def crun_config(where):
    """crun's default spec for `true` in the busybox root, made what Docker would hand runc for
    `docker run --network none busybox true`: minidock's namespaces (PID, UTS, IPC, mount,
    network; a cgroup namespace), Docker's 14 capabilities, Docker's default seccomp profile,
    a cgroup with Docker's device rules. False when crun or the profile is missing."""
    if not shutil.which("crun") or not os.path.exists(DOCKER_PROFILE):
        return False
    subprocess.run(["crun", "spec"], cwd=where, check=True)
    path = os.path.join(where, "config.json")
    with open(path) as f:
        spec = json.load(f)
    spec["root"] = {"path": ROOTFS_IN_VM, "readonly": False}
    process = spec["process"]
    process["args"] = ["true"]
    process["terminal"] = False
    process["capabilities"] = {k: list(DOCKER_CAPS) for k in ("bounding", "effective", "permitted")}
    process.pop("rlimits", None)
    keep = {"pid", "uts", "ipc", "mount", "network", "cgroup"}
    spec["linux"]["namespaces"] = [n for n in spec["linux"]["namespaces"] if n["type"] in keep]
    if not any(n["type"] == "cgroup" for n in spec["linux"]["namespaces"]):
        spec["linux"]["namespaces"].append({"type": "cgroup"})
    spec["linux"]["seccomp"] = docker_seccomp(DOCKER_PROFILE)
    # Docker's default device rules: deny all, then the usual character devices.
    allow = [(1, 3), (1, 5), (1, 7), (1, 8), (1, 9), (5, 0), (5, 1), (5, 2), (136, None),
             (10, 200)]
    devices = [{"allow": False, "access": "rwm"}]
    devices += [{"allow": True, "type": "c", "major": ma, **({"minor": mi} if mi is not None else {}),
                 "access": "rwm"} for ma, mi in allow]
    spec["linux"]["resources"] = {"devices": devices}
    with open(path, "w") as f:
        json.dump(spec, f)
    return True


def with_files(initramfs, extra, image):
    """Write to image the initramfs with the tree extra added on top: the kernel unpacks
    concatenated archives in turn, the second adding to the first."""
    with open(image, "wb") as out:
        with open(initramfs, "rb") as base:
            shutil.copyfileobj(base, out)
        names = subprocess.run(["find", ".", "-mindepth", "1"], cwd=extra, check=True,
                               capture_output=True, text=True).stdout
        out.flush()
        subprocess.run(["cpio", "-o", "-H", "newc", "--owner", "0:0", "--quiet"], cwd=extra,
                       input=names.encode(), stdout=out, check=True)


def relay(cmd):
    """Run the VM of cmd and print what it says on its results channel, until "done"."""
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


def main():
    kernel, initramfs = sys.argv[1:3]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    with tempfile.TemporaryDirectory(prefix="minidock-bench-") as tmp:
        extra = os.path.join(tmp, "root")
        bench = os.path.join(extra, "grader", "bench")
        os.makedirs(os.path.join(bench, "bundle"))
        shutil.copy(os.path.join(HERE, "start.sh"), bench)
        if not crun_config(os.path.join(bench, "bundle")):
            print("(crun or Docker's profile is missing: no crun row; make deps and make vm give them)")
        image = os.path.join(tmp, "bench.cpio")
        with_files(initramfs, extra, image)
        accel = grade.choose_accel(kernel, image, "auto")
        cmd = grade.qemu_command(kernel, image, accel, f"minidock.mode=bench minidock.runs={runs}",
                                 "null", "stdio")
        print(f"(in the grader VM, on {'KVM' if accel == 'kvm' else 'TCG: no KVM, slower'})",
              flush=True)
        relay(cmd)


if __name__ == "__main__":
    main()
