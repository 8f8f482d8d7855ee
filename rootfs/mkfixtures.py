#!/usr/bin/env python3
"""mkfixtures.py IMAGES_DIR: the images lab 3's tests load, good and bad, in IMAGES_DIR/fixtures.

Each bad image is a whole OCI image layout (as a tar) with one thing wrong, so that the test of
that one thing fails for that reason only. Built with Python's tarfile and gzip, with fixed
times and owners: the same bytes on every build. The good one is built on busybox's layer
(from IMAGES_DIR/busybox/oci), the bad ones on a one-file layer, so they stay small.

  entry-oci.tar          good: Entrypoint ["echo", "entry"] and Cmd ["cmd"]
  user-oci.tar           good: User "daemon" and Cmd ["id"]
  bad-dotdot.tar         a layer entry "../escape"
  bad-absolute.tar       a layer entry "/abs-escape"
  bad-symlink.tar        a symlink "link -> /tmp", then a file written through it, "link/escape"
  bad-hardlink.tar       a hard link to "../../../etc/passwd"
  bad-device.tar         a device node, "sda" (block 8:0)
  bad-digest.tar         a layer whose bytes do not hash to its digest
  bad-truncated.tar      a gzip layer cut in half (its digest matches the cut bytes)
  bad-missing-blob.tar   a manifest naming a layer blob that is not there
  bad-json.tar           a manifest blob that is not JSON
  bad-media-type.tar     a layer of media type "application/x-unknown"
  bad-no-layers.tar      a manifest with no layers
  bad-bomb.tar           a layer of 96 MiB of zeros in about 100 KiB of gzip
  bad-diff-id.tar        a config whose diff_id does not match its layer
  bad-diff-id-path.tar   a config whose diff_id is "sha256:" and "../" segments padded to 64
                         characters, naming /tmp/md-victim (an OCI layout)
  bad-diff-id-path-save.tar   the same in a classic docker-save archive
  many-layers.tar        good: busybox and 129 one-file layers (/layer-1 ... /layer-129), more
                         than one page of overlay options with the layers' full paths
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile

MTIME = 1704067200
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER_GZ = "application/vnd.oci.image.layer.v1.tar+gzip"


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def gz(data):
    return gzip.compress(data, compresslevel=6, mtime=0)


def js(obj):
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()


def tar_bytes(entries):
    """entries: TarInfo-making tuples (name, type, data or linkname, extra)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        for name, kind, payload in entries:
            info = tarfile.TarInfo(name)
            info.mtime, info.uid, info.gid, info.mode = MTIME, 0, 0, 0o644
            data = None
            if kind == "file":
                info.size = len(payload)
                data = io.BytesIO(payload)
            elif kind == "zeros":
                info.size = payload
                data = ZeroReader(payload)
            elif kind == "dir":
                info.type, info.mode = tarfile.DIRTYPE, 0o755
            elif kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, payload
            elif kind == "hardlink":
                info.type, info.linkname = tarfile.LNKTYPE, payload
            elif kind == "blockdev":
                info.type, info.devmajor, info.devminor = tarfile.BLKTYPE, 8, 0
            t.addfile(info, data)
    return buf.getvalue()


class ZeroReader:
    def __init__(self, n):
        self.left = n

    def read(self, n=-1):
        n = self.left if n < 0 else min(n, self.left)
        self.left -= n
        return bytes(n)


def busybox_layer(images):
    layout = os.path.join(images, "busybox", "oci")
    index = json.load(open(os.path.join(layout, "index.json")))
    blob = lambda d: open(os.path.join(layout, "blobs", *d.split(":")), "rb").read()
    manifest = json.loads(blob(index["manifests"][0]["digest"]))
    config = json.loads(blob(manifest["config"]["digest"]))
    layer = manifest["layers"][0]
    return blob(layer["digest"]), config["rootfs"]["diff_ids"][0]


def layout_tar(blobs, manifest_blob, name="fixture:latest"):
    """A tar of an OCI layout holding blobs (digest -> bytes) and naming manifest_blob."""
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": [{"mediaType": OCI_MANIFEST, "digest": sha(manifest_blob),
                            "size": len(manifest_blob),
                            "annotations": {"io.containerd.image.name": name,
                                            "org.opencontainers.image.ref.name": name.split(":")[-1]}}]}
    entries = [("blobs", "dir", None), ("blobs/sha256", "dir", None)]
    for digest in sorted(blobs):
        entries.append(("blobs/sha256/" + digest.split(":")[1], "file", blobs[digest]))
    entries += [("index.json", "file", js(index)), ("oci-layout", "file", js({"imageLayoutVersion": "1.0.0"}))]
    return tar_bytes(entries)


def image(base, layers, config_extra=None, name="fixture:latest", layer_type=LAYER_GZ, diff_ids=None,
          manifest_layers=None, drop=(), corrupt=None, raw_manifest=None):
    """An image of the busybox base layer plus `layers` (tar bytes); knobs break one thing."""
    base_blob, base_diff = base
    blobs, descs, diffs = {sha(base_blob): base_blob}, [], [base_diff]
    descs.append({"mediaType": LAYER_GZ, "digest": sha(base_blob), "size": len(base_blob)})
    for layer in layers:
        blob = gz(layer) if isinstance(layer, bytes) else layer["blob"]
        diff = sha(layer) if isinstance(layer, bytes) else layer["diff_id"]
        blobs[sha(blob)] = blob
        descs.append({"mediaType": layer_type, "digest": sha(blob), "size": len(blob)})
        diffs.append(diff)
    config = {"architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
              "config": dict({"Cmd": ["sh"], "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},
                             **(config_extra or {})),
              "rootfs": {"type": "layers", "diff_ids": diff_ids or diffs}}
    config_blob = js(config)
    blobs[sha(config_blob)] = config_blob
    manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                "config": {"mediaType": OCI_CONFIG, "digest": sha(config_blob), "size": len(config_blob)},
                "layers": descs if manifest_layers is None else manifest_layers}
    manifest_blob = raw_manifest if raw_manifest is not None else js(manifest)
    blobs[sha(manifest_blob)] = manifest_blob
    for digest in drop:
        del blobs[digest]
    if corrupt:
        blobs[corrupt] = blobs[corrupt][:-1] + bytes([blobs[corrupt][-1] ^ 1])
    return layout_tar(blobs, manifest_blob, name)


# A diff id that is no digest: 16 "../" and "tmp/md-victim///", 64 characters in all.
TRAVERSAL = "sha256:" + "../" * 16 + "tmp/md-victim///"
assert len(TRAVERSAL) == 7 + 64


def docker_save_tar(layers, diff_ids, name="fixture:latest"):
    """A classic `docker save` archive: manifest.json, a config file, one directory per layer."""
    config = js({"architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
                 "config": {"Cmd": ["sh"]}, "rootfs": {"type": "layers", "diff_ids": diff_ids}})
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    entries, paths = [(config_name, "file", config)], []
    for i, layer in enumerate(layers):
        entries += [("layer%d" % i, "dir", None), ("layer%d/layer.tar" % i, "file", layer)]
        paths.append("layer%d/layer.tar" % i)
    entries.append(("manifest.json", "file", js([{"Config": config_name, "RepoTags": [name], "Layers": paths}])))
    return tar_bytes(entries)


def main():
    images = sys.argv[1]
    out = os.path.join(images, "fixtures")
    os.makedirs(out, exist_ok=True)
    base = busybox_layer(images)
    # The bad images sit on a one-file base layer: small, and enough to be an image.
    tiny = tar_bytes([("base", "file", b"base layer\n")])
    tiny_base = (gz(tiny), sha(tiny))
    evil = tar_bytes([("escape", "file", b"should never be written\n")])
    fixtures = {
        "entry-oci.tar": image(base, [], {"Entrypoint": ["echo", "entry"], "Cmd": ["cmd"]}, name="entry:latest"),
        "user-oci.tar": image(base, [], {"User": "daemon", "Cmd": ["id"]}, name="user:latest"),
        "bad-dotdot.tar": image(tiny_base, [tar_bytes([("../escape", "file", b"x\n")])]),
        "bad-absolute.tar": image(tiny_base, [tar_bytes([("/abs-escape", "file", b"x\n")])]),
        "bad-symlink.tar": image(tiny_base, [tar_bytes([("link", "symlink", "/tmp"), ("link/escape", "file", b"x\n")])]),
        "bad-hardlink.tar": image(tiny_base, [tar_bytes([("hl", "hardlink", "../../../etc/passwd")])]),
        "bad-device.tar": image(tiny_base, [tar_bytes([("sda", "blockdev", None)])]),
        "bad-truncated.tar": image(tiny_base, [{"blob": gz(evil)[: len(gz(evil)) // 2], "diff_id": sha(evil)}]),
        "bad-media-type.tar": image(tiny_base, [evil], layer_type="application/x-unknown"),
        "bad-no-layers.tar": image(tiny_base, [], manifest_layers=[]),
        "bad-bomb.tar": image(tiny_base, [tar_bytes([("zeros", "zeros", 96 << 20)])]),
        "bad-diff-id.tar": image(tiny_base, [evil], diff_ids=[tiny_base[1], sha(b"not the layer")]),
        "bad-json.tar": image(tiny_base, [], raw_manifest=b'{"schemaVersion": 2, "layers": [,]}'),
    }
    fixtures["bad-diff-id-path.tar"] = image(tiny_base, [evil], diff_ids=[tiny_base[1], TRAVERSAL])
    fixtures["bad-diff-id-path-save.tar"] = docker_save_tar([tiny, evil], [sha(tiny), TRAVERSAL])
    thin = [tar_bytes([("layer-%d" % i, "file", b"%d\n" % i)]) for i in range(1, 130)]
    fixtures["many-layers.tar"] = image(base, thin, name="many:latest")
    # Blob-level damage needs the digests of the good image.
    good_blob = gz(evil)
    fixtures["bad-digest.tar"] = image(tiny_base, [evil], corrupt=sha(good_blob))
    fixtures["bad-missing-blob.tar"] = image(tiny_base, [evil], drop=[sha(good_blob)])
    for name, data in fixtures.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
