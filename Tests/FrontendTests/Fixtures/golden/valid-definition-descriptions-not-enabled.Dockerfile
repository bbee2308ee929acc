# InvalidDefinitionDescription is experimental in BuildKit: without
# `# check=experimental=...` it never runs, even with a misleading comment.
# Pin the base image by digest in production
ARG BASE_DIGEST=
FROM alpine:3.20 AS runtime
