FROM --plaform=linux/amd64 alpine
COPY --chown=a --chown=b . /
COPY --link=maybe . /
COPY --from . /
RUN --network=bridge true
RUN --security=root true
WORKDIR --x=1 /a
COPY --chmod=888 . /
COPY only-source
COPY https://example.com/file /
COPY . <<EOF
EOF
