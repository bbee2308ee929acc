# An allow-list .dockerignore ("*" then exceptions) turns the check off, as in BuildKit:
# which files survive cannot be decided statically. Here there are no exceptions, so
# copying the whole context copies nothing and is reported.
FROM nginx:1.27-alpine
COPY . /usr/share/nginx/html/
COPY ./ /srv/
