#!/usr/bin/env python3
"""load.py MINIDOCK [RUNS]: image load throughput, minidock beside tar (make bench).

Makes a synthetic OCI image layout (one gzip layer of about 64 MiB in 400 files, text that
compresses about as real layers do), then times, over RUNS runs each:
  minidock   minidock image load -i LAYOUT   (digest checks, diff id, whiteouts, store)
  tar        tar -xzf LAYER -C DIR           (only unpacking: the floor for the same bytes)
and prints the median time and the throughput in MiB/s of uncompressed layer.
"""
import gzip
import hashlib
import io
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def make_layout(dir):
    rng = random.Random(42)
    words = [("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9))))
             for _ in range(5000)]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for i in range(400):
            text = " ".join(rng.choice(words) for _ in range(28000)).encode()
            info = tarfile.TarInfo(f"data/f{i:03d}.txt")
            info.size, info.mtime = len(text), 1704067200
            t.addfile(info, io.BytesIO(text))
    layer = buf.getvalue()
    blob = gzip.compress(layer, 6, mtime=0)
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["sh"]},
                         "rootfs": {"type": "layers", "diff_ids": [sha(layer)]}}).encode()
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": sha(config), "size": len(config)},
                           "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                                       "digest": sha(blob), "size": len(blob)}]}).encode()
    os.makedirs(os.path.join(dir, "blobs", "sha256"))
    for data in (blob, config, manifest):
        with open(os.path.join(dir, "blobs", "sha256", sha(data)[7:]), "wb") as f:
            f.write(data)
    with open(os.path.join(dir, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    with open(os.path.join(dir, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha(manifest),
            "size": len(manifest), "annotations": {"io.containerd.image.name": "bench:latest"}}]}, f)
    return os.path.join(dir, "blobs", "sha256", sha(blob)[7:]), len(layer)


def timed(cmd, fresh, runs, env=None):
    times = []
    for _ in range(runs):
        target = fresh()
        start = time.perf_counter()
        subprocess.run(cmd(target), check=True, stdout=subprocess.DEVNULL, env=env)
        times.append(time.perf_counter() - start)
        shutil.rmtree(target)
    return times


def main():
    minidock = os.path.abspath(sys.argv[1])
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    work = tempfile.mkdtemp(prefix="minidock-bench-load-")
    try:
        layout = os.path.join(work, "layout")
        blob, size = make_layout(layout)
        counter = iter(range(10**6))
        fresh = lambda: os.path.join(work, f"t{next(counter)}")
        def fresh_dir():
            d = fresh()
            os.makedirs(d)
            return d
        rows = [("minidock", timed(lambda root: [minidock, "--root", root, "image", "load", "-i", layout],
                                   fresh, runs)),
                ("tar -xzf", timed(lambda d: ["tar", "-xzf", blob, "-C", d], fresh_dir, runs))]
        mib = size / 2**20
        print(f"image load, one gzip layer of {mib:.0f} MiB (uncompressed), {runs} runs each")
        print(f"  {'':<10} {'median':>10} {'throughput':>14}")
        for name, ts in rows:
            m = statistics.median(ts)
            print(f"  {name:<10} {m * 1000:7.0f} ms {mib / m:9.0f} MiB/s")
        ratio = statistics.median(rows[1][1]) / statistics.median(rows[0][1])
        print(f"  minidock / tar throughput: {ratio:.2f} (target: at least 0.90)")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
