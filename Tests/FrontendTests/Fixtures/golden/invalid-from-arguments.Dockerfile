FROM alpine AS
FROM alpine AS 1stage
FROM alpine FOO bar
FROM --platform=linux alpine
