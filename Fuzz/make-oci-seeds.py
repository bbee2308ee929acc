#!/usr/bin/env python3
"""Seeds for Fuzz/OCIFuzzer.swift: a manifest, an index, a config and a descriptor as OCI and
Docker write them. Deterministic. Usage: make-oci-seeds.py DIR"""
import json, os, sys

D = "sha256:" + "a" * 64
desc = {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": D, "size": 123,
        "annotations": {"org.opencontainers.image.ref.name": "v1"},
        "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}}
seeds = {
    "manifest": {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                 "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": D, "size": 7},
                 "layers": [desc], "annotations": {"a": "b"}},
    "docker-manifest": {"schemaVersion": 2,
                        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                        "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                                   "digest": D, "size": 1}, "layers": []},
    "index": {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
              "manifests": [desc, desc]},
    "config": {"created": "2024-01-01T00:00:00Z", "architecture": "amd64", "os": "linux",
               "config": {"Env": ["PATH=/bin"], "Cmd": ["sh"], "Entrypoint": None, "WorkingDir": "/",
                          "User": "0:0", "Labels": {"x": "y"}, "ExposedPorts": {"80/tcp": {}},
                          "Volumes": {"/data": {}}, "StopSignal": "SIGTERM",
                          "Healthcheck": {"Test": ["CMD", "true"], "Interval": 1}},
               "rootfs": {"type": "layers", "diff_ids": [D]},
               "history": [{"created_by": "RUN x", "empty_layer": True}]},
    "descriptor": desc,
}
os.makedirs(sys.argv[1], exist_ok=True)
for name, value in seeds.items():
    with open(os.path.join(sys.argv[1], f"seed-{name}.json"), "w") as f:
        json.dump(value, f)
