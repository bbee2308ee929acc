FROM alpine
RUN --mount=from=$STAGE,target=/s true
RUN --mount=from=ok$,target=/s true
