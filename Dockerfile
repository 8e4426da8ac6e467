# Newton Lab in a container: `make image`, `make container-smoke`; see docs/deploy.md.
#
# BASE is any Debian-like image with Python >= 3.11 whose `python` is first on PATH and can make a
# venv. Where no registry is reachable, build one locally (`make base-image`) and pass
# `--build-arg BASE=localhost/pybase:bookworm`.
ARG BASE=python:3.12-slim

# Build stage ------------------------------------------------------------------------------------
FROM ${BASE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/newton-lab
WORKDIR /src
# Runtime dependencies first, read from pyproject.toml (never the test extras): this layer is
# rebuilt only when pyproject.toml changes, not on every edit of the code.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
 && /opt/newton-lab/bin/pip install --requirement /tmp/requirements.txt
# Then the project itself: a regular (non-editable) install of the `app` and `solvers` packages.
COPY README.md ./
COPY app ./app
COPY solvers ./solvers
# pip compiles every module as it installs (quicker start; the server's user cannot write there);
# pip and setuptools themselves are not needed at run time.
RUN /opt/newton-lab/bin/pip install --no-deps . \
 && /opt/newton-lab/bin/pip uninstall --yes setuptools pip

# Runtime stage: the base plus the venv, nothing of the build ----------------------------------------
FROM ${BASE}
COPY --from=build /opt/newton-lab /opt/newton-lab
RUN useradd --uid 10001 --user-group --no-log-init --create-home --home-dir /home/newtonlab \
        --shell /usr/sbin/nologin newtonlab
ENV PATH=/opt/newton-lab/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    NEWTON_LAB_ADDRESS=0.0.0.0 \
    NEWTON_LAB_PORT=5006
# Every other NEWTON_LAB_* setting keeps app/serve.py's safe default unless given at `docker run -e`:
# websockets only from localhost:PORT, no prefix, one process, no login (table in docs/deploy.md).
# No source tree here: `app` and `solvers` are imported from the venv, whatever the directory.
WORKDIR /home/newtonlab
USER newtonlab
EXPOSE 5006

# Panel's plain liveness endpoint (cheap: builds no document), probed by Python itself so the image
# needs no curl; follows NEWTON_LAB_PORT and NEWTON_LAB_PREFIX, and needs no login with basic auth.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; prefix = os.environ.get('NEWTON_LAB_PREFIX', '').strip('/'); urllib.request.urlopen('http://127.0.0.1:%s%s/liveness' % (os.environ.get('NEWTON_LAB_PORT', '5006'), '/' + prefix if prefix else ''), timeout=4)"]

# Python leaves SIGTERM at its default, which process 1 of a container ignores: `docker stop` would
# wait its 10 s and kill. SIGINT stops the server at once (KeyboardInterrupt).
STOPSIGNAL SIGINT
# Exec form: the server is process 1 and receives the stop signal itself.
CMD ["python", "-m", "app.serve"]
