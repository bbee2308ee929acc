FROM alpine AS a
COPY --from=b /x /x
FROM alpine AS b
COPY --from=a /y /y
FROM alpine AS self
COPY --from=self /z /z
