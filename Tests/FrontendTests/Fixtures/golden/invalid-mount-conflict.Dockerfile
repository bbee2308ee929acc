FROM alpine
RUN --mount=type=bind,target=/x,ro,rw true
RUN --mount=type=cache,target=/a,target=/b true
RUN --mount=type=bind,target=/x,size=1g true
RUN --mount=type=secret,id=a,source=b true
RUN --mount=type=tmpfs,target=/t,size=lots true
RUN --mount=type=cache,target=/c,mode=999 true
RUN --mount=type=cache,target=/c,sharing=everyone true
RUN --mount=type=volume,target=/v true
RUN --mount=type=secret,required=maybe,id=x true
RUN --mount=type=bind,target=/x,readonly true
