FROM alpine
RUNN make
COPYY . /src
FOOBAR baz
