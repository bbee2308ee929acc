# Proxy and builder arguments are predefined: passed with --build-arg they need no ARG line,
# RUN sees the proxies at run time, and no UndefinedVar is reported for them in RUN.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends curl \
 && curl -fsS --proxy "$https_proxy" https://example.com/health
ARG HTTP_PROXY
ENV UPSTREAM_PROXY=$HTTP_PROXY
RUN --mount=type=cache,target=/var/cache/apt hostname
