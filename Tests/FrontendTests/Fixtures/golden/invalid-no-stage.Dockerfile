ARG OK=1
RUN echo before from
FROM alpine
