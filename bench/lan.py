#!/usr/bin/env python3
"""lan.py KERNEL INITRAMFS: container to container across two hosts (make bench).

Boots two grader VMs joined by a LAN, as stage 8 does (grader/grade.py's two_host_cards():
datagram sockets on this machine, nothing leaves it): host B serves host A's requests, host A
runs bench/lan.sh and reports on its results channel. Under TCG both VMs are emulated on this
machine's cores: the rows compare with each other (macvlan against bridge with a published
port), not with real hardware.
"""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "grader"))
import grade  # noqa: E402
import vm  # noqa: E402  (bench/vm.py: the initramfs with files added, the results relayed)

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    kernel, initramfs = sys.argv[1:3]
    with tempfile.TemporaryDirectory(prefix="minidock-bench-lan-") as tmp:
        extra = os.path.join(tmp, "root")
        os.makedirs(os.path.join(extra, "grader", "bench"))
        shutil.copy(os.path.join(HERE, "lan.sh"), os.path.join(extra, "grader", "bench"))
        image = os.path.join(tmp, "bench.cpio")
        vm.with_files(initramfs, extra, image)
        accel = grade.choose_accel(kernel, image, "auto")
        sockets = os.path.join(tmp, "lan")
        os.makedirs(sockets)
        host_b = grade.HostB(kernel, image, accel, ["all"], sockets, "null", os.devnull)
        cmd = grade.qemu_command(kernel, image, accel, "minidock.mode=bench-lan minidock.host=a",
                                 "null", "stdio", 2, grade.two_host_cards(sockets, "a"))
        print(f"(two grader VMs, on {'KVM' if accel == 'kvm' else 'TCG: no KVM, slower'})", flush=True)
        try:
            vm.relay(cmd)
        finally:
            host_b.stop()


if __name__ == "__main__":
    main()
