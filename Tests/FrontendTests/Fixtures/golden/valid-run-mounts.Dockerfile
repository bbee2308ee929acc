FROM busybox AS tools
RUN touch /tool

FROM busybox
RUN --mount=target=/src echo default bind
RUN --mount=type=bind,from=tools,source=/tool,target=/t,rw echo bind from stage
RUN --mount=type=bind,src=/etc,dst=/host-etc,readwrite=false echo aliases
RUN --mount=type=cache,target=/root/.cache echo cache defaults
RUN --mount=type=cache,id=gomod,target=/go/pkg/mod,sharing=locked,mode=0700,uid=1000,gid=1000,from=tools,source=/,ro echo cache full
RUN --mount=type=tmpfs,target=/scratch,size=64m echo tmpfs
RUN --mount=type=tmpfs,target=/scratch2 echo tmpfs unlimited
RUN --mount=type=secret,id=npmrc echo secret default target
RUN --mount=type=secret,id=aws,target=/root/.aws/credentials,required=true,mode=0440,uid=1,gid=2 echo secret full
RUN --mount=type=secret,id=token,env=API_TOKEN echo secret as env
RUN --mount=type=secret,target=/run/secrets/derived echo secret id from target
RUN --mount=type=ssh echo ssh default
RUN --mount=type=ssh,id=github,target=/ssh.sock,required,mode=0666,uid=10,gid=20 echo ssh full
RUN --mount=type=cache,target=/a --mount=type=cache,target=/b echo two mounts
ENV CACHE_ID=shared-cache
RUN --mount=type=cache,id=$CACHE_ID,target=/c echo expanded id
