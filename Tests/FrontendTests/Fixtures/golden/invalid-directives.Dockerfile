# escape=x
# escape=`
# check=skip=A;bogus=1
FROM alpine
