# nginx for deploy/docker-compose.yml where nginx:1.27 cannot be pulled (no registry reachable):
# Debian's nginx on the same local Debian base as the lab (`make nginx-image`, docs/deploy.md).
# deploy/nginx.conf is mounted over /etc/nginx/nginx.conf by the compose file, as with nginx:1.27.
ARG BASE=python:3.12-slim
FROM ${BASE}
# policy-rc.d: the package must not try to start nginx during the build.
RUN printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb \
 && rm -f /etc/nginx/sites-enabled/default \
 && ln -sf /dev/stdout /var/log/nginx/access.log \
 && ln -sf /dev/stderr /var/log/nginx/error.log \
 && rm /usr/sbin/policy-rc.d \
 && test -f /etc/nginx/mime.types
EXPOSE 80
# As the official image: SIGQUIT is nginx's graceful stop; nginx in the foreground is process 1.
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
