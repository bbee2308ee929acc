FROM golang:1.22 AS builder
RUN go build -o /out/app .

FROM alpine AS unused
RUN echo never built for this target

FROM builder AS tested
RUN go test ./...

FROM scratch AS Final
COPY --from=builder /out/app /app
COPY --from=0 /etc/passwd /etc/passwd
COPY --from=nginx:latest /etc/nginx/nginx.conf /nginx.conf
COPY --from=mycontext /config.json /config.json
RUN --mount=type=bind,from=tested,target=/t true
