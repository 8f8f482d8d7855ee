#!/usr/bin/env python3
"""boot.py KERNEL INITRAMFS [RUNS]: how long the grader VM takes to boot (make bench).

Two times per boot, from QEMU's start: to the first line of user space (the KVM probe's answer,
right after /proc is mounted) and to the runner's "hello" (ready to run tests). Prints the
median and the spread over RUNS boots, for each accelerator this machine can use.
"""
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "grader"))
import grade  # noqa: E402


def boot_time(kernel, initramfs, accel, mode):
    cmd = grade.qemu_command(kernel, initramfs, accel,
                             f"minidock.mode={mode} minidock.stages=none", "null", "stdio")
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    try:
        for line in proc.stdout:
            if line.strip() in (b"probe ok", b"hello"):
                return time.monotonic() - start
    finally:
        proc.kill()
        proc.wait()
    raise RuntimeError("the VM did not answer")


def main():
    kernel, initramfs = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    accels = ["tcg"] + (["kvm"] if grade.probe_kvm(kernel, initramfs) else [])
    size = os.path.getsize(initramfs) / 2**20
    print(f"grader VM boot, {runs} runs each, initramfs {size:.1f} MiB")
    print(f"  {'accel':<6} {'to user space':>26} {'to the test runner':>26}")
    for accel in accels:
        cells = []
        for mode in ("probe", "grade"):
            ts = [boot_time(kernel, initramfs, accel, mode) for _ in range(runs)]
            cells.append(f"{statistics.median(ts):5.2f} s ({min(ts):.2f}-{max(ts):.2f})")
        print(f"  {accel:<6} {cells[0]:>26} {cells[1]:>26}")
    if "kvm" not in accels:
        print("  (KVM: not usable here; the probe boot did not answer in time)")


if __name__ == "__main__":
    main()
