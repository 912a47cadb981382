# DittoFs container: `dotnet publish` in the SDK image, run on the ASP.NET Core runtime image as a non-root user.
#   docker build -t dittofs .
#   docker run -d -p 127.0.0.1:2049:2049 -p 127.0.0.1:20048:20048 -p 127.0.0.1:9464:9464 -v dittofs-data:/var/lib/dittofs dittofs
#   (loopback only; another address is a deliberate choice, see README "Container"). Root is squashed by default.
# Configuration: DittoFs__* environment variables (see README), e.g. -e DittoFs__Exports__0__ReadOnly=true.
# Admin: docker exec <container> dittofs status | exports | flush | gc (flush/gc: -e DittoFs__Admin__Token=... or __TokenFile=/run/secrets/...)
# tests/Server.Tests/Operations/DockerfileTests.cs runs this file's publish command and starts its output with its ENV.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/Server/Server.csproj -c Release -o /app/publish

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app/publish .
# `dittofs` on the PATH; the data volume owned by the image's non-root user ($APP_UID, "app").
RUN ln -s /app/DittoFs.Server /usr/local/bin/dittofs \
 && mkdir -p /var/lib/dittofs \
 && chown "$APP_UID" /var/lib/dittofs
ENV DittoFs__DataDirectory=/var/lib/dittofs \
    DittoFs__ListenAddress=0.0.0.0 \
    DittoFs__NfsPort=2049 \
    DittoFs__MountPort=20048 \
    DittoFs__HttpPort=9464 \
    Logging__Console__FormatterName=json \
    ASPNETCORE_HTTP_PORTS=
# Metadata (FASTER + WAL) and blocks (and the S3 block cache) live here.
VOLUME /var/lib/dittofs
# NFS + MOUNT + portmapper, MOUNT again, HTTP (/metrics, /healthz, /readyz, /admin).
EXPOSE 2049 20048 9464
USER $APP_UID
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["dittofs", "status", "--healthz"]
ENTRYPOINT ["dittofs"]
CMD ["serve"]
