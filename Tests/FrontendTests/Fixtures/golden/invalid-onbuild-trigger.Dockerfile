FROM alpine
ONBUILD RUNN x
ONBUILD COPY --bogus . /
