FROM busybox AS build
RUN <<EOF
echo one
echo "$HOME"
EOF
RUN <<-EOT sh
	echo tabs stripped
		echo nested
	EOT
RUN <<'EOF'
echo $NOT_EXPANDED
EOF
RUN <<"EOF"
echo quoted double
EOF
RUN cat <<A > /a && cat <<B > /b
first
A
second
B
RUN <<EOF 3<<IN awk -f -
BEGIN { print "x" }
EOF
fd three
IN
ARG name=world
COPY <<EOF /greeting
Hello ${name}!
EOF
COPY <<'EOF' /literal
Hello ${name}!
EOF
COPY --chmod=755 <<one <<two /scripts/
#!/bin/sh
EOF-not-the-end
one
second file
two
ONBUILD RUN <<EOF
echo later
EOF
RUN ["echo", "<<EOF is not a heredoc in exec form"]
RUN echo 'no <<heredoc here' && echo done
