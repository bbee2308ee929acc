# Symbolic --chmod as BuildKit accepts it (chmod(1) syntax), octal as before, and a mode from
# a build argument checked once expanded (an empty one means no --chmod, as in BuildKit).
FROM alpine:3.20
ARG SCRIPT_MODE=u+x,g-w
ARG UNSET_MODE
COPY --chmod=u+x,g-w entrypoint.sh /usr/local/bin/
COPY --chmod=a=rX,u+w static/ /srv/static/
COPY --chmod=go-w --chown=app:app config/ /etc/app/
ADD --chmod=0644 https://example.com/ca.pem /etc/ssl/certs/
COPY --chmod=$SCRIPT_MODE healthcheck.sh /usr/local/bin/
COPY --chmod=$UNSET_MODE README.md /srv/
COPY --chmod=g=u,o= private/ /srv/private/
