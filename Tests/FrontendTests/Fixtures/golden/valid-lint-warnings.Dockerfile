FROM alpine AS Build
from alpine as lower
Run echo mixed case keyword
FROM scratch AS dup
FROM scratch AS dup
FROM scratch as context
FROM ${UNDECLARED_BASE:-alpine}
MAINTAINER me
ENV LEGACY value
ENV DB_PASSWORD=hunter2 PUBLIC_KEY=ok
ARG GITHUB_TOKEN
WORKDIR relative/dir
CMD echo shell form one
CMD echo shell form two
ENTRYPOINT exec app
HEALTHCHECK CMD true
HEALTHCHECK NONE
EXPOSE 127.0.0.1:8080:80 53/UDP
FROM scratch
ENV A=$NOT_DEFINED B=$PATHH
