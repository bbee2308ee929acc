FROM alpine
HEALTHCHECK CMD ["curl", "-f", "http://localhost/"]
HEALTHCHECK --interval=1m --timeout=500ms --retries=0 CMD curl -f http://localhost/ || exit 1
HEALTHCHECK --interval=0s CMD true
HEALTHCHECK NONE
