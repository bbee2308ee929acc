# syntax=docker/dockerfile:1
FROM busybox AS first
FROM --platform=$BUILDPLATFORM alpine:3.20 AS base
LABEL org.opencontainers.image.title="demo app" version=1.0
LABEL description "legacy label form"
MAINTAINER someone@example.org
EXPOSE 80 443/tcp 53/udp 8000-8010
ENV PATH=/usr/local/bin:$PATH HOME=/root
ENV LEGACY_KEY legacy value with spaces
ARG VERSION=1.2.3 FLAVOR
USER app:app
WORKDIR /srv
WORKDIR app
VOLUME ["/data", "/logs"]
VOLUME /cache /tmp/x
STOPSIGNAL SIGTERM
SHELL ["/bin/sh", "-eu", "-c"]
RUN --network=none --security=sandbox echo "$VERSION"
RUN ["/bin/echo", "exec form"]
ADD --chown=1000:1000 --chmod=0644 --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d --link --exclude=*.tmp https://example.com/a.tar.gz /opt/
ADD --keep-git-dir=true --unpack=false https://github.com/moby/buildkit.git#v0.14.0 /src/buildkit
COPY --from=0 --chown=app --chmod=u+x,g-w --link --parents --exclude=*.md --exclude=docs ./bin/ /usr/local/bin/
COPY ["file with spaces.txt", "/dest dir/"]
ONBUILD RUN echo triggered
ONBUILD COPY . /app
HEALTHCHECK --interval=30s --timeout=5s --start-period=1m30s --start-interval=2s --retries=3 CMD wget -q -O- http://localhost/ || exit 1
ENTRYPOINT ["/entrypoint.sh"]
CMD ["serve", "--port", "80"]
