ARG BASE=alpine
ARG TAG=3.19
ARG GLOBAL_ONLY=global
FROM ${BASE}:${TAG} AS first
ARG TAG
ARG LOCAL=local-$TAG
ARG TARGETARCH
ARG TARGETPLATFORM
ENV SEEN_TAG=$TAG SEEN_LOCAL=$LOCAL ARCH=$TARGETARCH PLATFORM=$TARGETPLATFORM
ENV NOT_IN_SCOPE=${GLOBAL_ONLY:-not-redeclared}
ARG OVERRIDDEN=default
ENV OVERRIDDEN_IS=$OVERRIDDEN
ARG TAG=stage-default
ENV ENV_WINS=env
ARG ENV_WINS=arg
LABEL env-wins=$ENV_WINS

# A stage based on another inherits its ENV and, in BuildKit, its ARGs too (BuildKit's
# reference: "An ARG variable declared inside a build stage is automatically inherited by
# other stages based on that stage").
FROM first AS second
ENV INHERITED=$SEEN_TAG ARG_INHERITED=${LOCAL:-none}
