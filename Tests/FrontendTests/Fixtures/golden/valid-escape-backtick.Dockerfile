# escape=`
FROM mcr.microsoft.com/windows/servercore:ltsc2022
SHELL ["powershell", "-Command"]
ENV GOPATH=C:\gopath `
    APP=C:\app
RUN Write-Host `
    'backslash \ is literal' ; `
    Write-Host done
WORKDIR C:\app
COPY . C:\app\src