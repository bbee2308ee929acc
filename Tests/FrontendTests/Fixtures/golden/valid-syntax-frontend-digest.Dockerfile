# syntax=docker.io/docker/dockerfile:1.7-labs@sha256:b99fecfe00268a8b556fad7d9c37ee25d716ae08a5d7320e6d51c4dd83246894
FROM alpine:3.20
COPY --parents --exclude=*.md ./docs/./**/ /srv/
