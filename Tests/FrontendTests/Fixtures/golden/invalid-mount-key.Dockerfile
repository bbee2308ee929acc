FROM alpine
RUN --mount=type=cache,target=/x,sharng=locked true
