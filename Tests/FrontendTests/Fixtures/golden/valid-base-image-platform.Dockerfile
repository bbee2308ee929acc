# The engine resolved these images and reports the platform each one has: a mismatch with
# the platform the stage asked for warns InvalidBaseImagePlatform, as in BuildKit.
FROM --platform=$BUILDPLATFORM golang:1.22 AS build
RUN go build -o /out/app ./cmd/app

FROM mycorp/runtime:2.1 AS runtime
COPY --from=build /out/app /app

FROM arm64v8/alpine:3.20 AS arm-tools
FROM --platform=linux/arm64 arm64v8/alpine:3.20 AS arm-tools-pinned
FROM --platform=linux/arm64 arm64v8/alpine:3.20 AS tools-arm64
FROM runtime
