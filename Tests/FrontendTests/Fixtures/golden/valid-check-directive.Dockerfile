# check=skip=JSONArgsRecommended,MaintainerDeprecated;error=true
FROM alpine
MAINTAINER skipped@example.org
CMD echo skipped
ENV STILL legacy
