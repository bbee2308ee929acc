# A mode from a build argument is checked once expanded, and reported where it was written.
FROM alpine:3.20
ARG SCRIPT_MODE=0755
COPY --chmod=${SCRIPT_MODE} entrypoint.sh /usr/local/bin/
ADD --chmod=$SCRIPT_MODE healthcheck.sh /usr/local/bin/
