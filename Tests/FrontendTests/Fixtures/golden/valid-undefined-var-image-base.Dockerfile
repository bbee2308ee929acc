# UndefinedVar fires for an image base too, not only for scratch: nothing declares APP_HOME
# or TARGETARCH in the first stage, nor VERSION in the second, so BuildKit expands them to ""
# and warns. PATH is always defined; RUN is expanded by the shell, never by the frontend.
ARG GO_VERSION=1.22
FROM golang:${GO_VERSION}-alpine AS build
ARG VERSION=dev
WORKDIR $APP_HOME/src
ENV PATH=/usr/local/go/bin:$PATH \
    CGO_ENABLED=0
COPY . .
RUN go build -ldflags "-X main.version=$VERSION" -o /out/app-$TARGETARCH ./cmd/app
COPY bin/$TARGETARCH/helper /usr/local/bin/helper

FROM alpine:3.20
ARG TARGETARCH
COPY --from=build /out/app-${TARGETARCH} /usr/local/bin/app
LABEL org.opencontainers.image.version=$VERSION
ENTRYPOINT ["/usr/local/bin/app"]
