FROM alpine:3.20
COPY --chmod=u+q run.sh /usr/local/bin/
COPY --chmod=0o755 run.sh /usr/local/bin/
COPY --chmod=17777 run.sh /usr/local/bin/
COPY --chmod=u+x, run.sh /usr/local/bin/
