FROM alpine
ENV ONLYKEY
ENV =value
LABEL novalue
ARG =x
