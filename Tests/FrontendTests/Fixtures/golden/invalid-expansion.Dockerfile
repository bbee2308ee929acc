FROM alpine
ENV A=${UNCLOSED
WORKDIR ${:bad}
USER ${NAME:?must be set}
LABEL x="unterminated
VOLUME ${V%%pat}ok ${V:%bad}
