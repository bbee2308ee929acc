FROM alpine
RUN apk add \
# a comment inside the continuation
    curl \

    git \
    	# indented comment
    make
RUN echo trailing space after escape \   
    done
  RUN echo indented instruction
RUN echo last line continues \