# Newton Lab: `make run`, `make test` and `make bench` set up .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5006

.PHONY: install run test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/python -m app.serve --port $(PORT)

test: install
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis *.egg-info

# ---- Container (docs/deploy.md) ------------------------------------------------------------------
# `make image`, `make container-smoke`: docker or podman, whichever is installed (CONTAINER=… to pick).
# BASE=… builds from another base image, e.g. the local one `make base-image` makes where no registry
# is reachable: `make base-image && make container-smoke BASE=localhost/pybase:bookworm`.
CONTAINER ?= $(shell command -v podman || command -v docker)
IMAGE ?= newton-lab
BASE ?=
BUILD_OPTS ?=
LOCAL_BASE ?= localhost/pybase:bookworm
DEBIAN_MIRROR ?= http://deb.debian.org/debian

# Podman as packaged on Debian 12 hosts like ours needs flags that docker does not (measured here):
#   --runtime runc         crun, if installed, fails on these cgroup-v1 hosts ("cgroups in hybrid mode not
#                          supported", /work/shared/README.md); runc works
#   --ulimit …             podman asks for more open files than the host's hard limit (20000) and the
#                          runtime fails on setrlimit; 20000 files leaves room for many websockets
#   -v /etc/ssl/certs…:ro  HTTPS leaves through a proxy with its own CA: pip in the build must trust it
#   --format docker        podman's default OCI image format drops HEALTHCHECK
# Where podman works out of the box: make image PODMAN_FLAGS= PODMAN_BUILD_FLAGS='--format docker'
PODMAN_FLAGS ?= --runtime runc
PODMAN_ULIMITS ?= --ulimit nofile=20000:20000 --ulimit nproc=32768:32768
PODMAN_BUILD_FLAGS ?= --format docker $(PODMAN_ULIMITS) -v /etc/ssl/certs:/etc/ssl/certs:ro
PODMAN_RUN_FLAGS ?= $(PODMAN_ULIMITS)
ifeq ($(notdir $(CONTAINER)),podman)
ENGINE := $(CONTAINER) $(PODMAN_FLAGS)
ENGINE_BUILD_FLAGS := $(PODMAN_BUILD_FLAGS)
ENGINE_RUN_FLAGS := $(PODMAN_RUN_FLAGS)
else
ENGINE := $(CONTAINER)
endif
BUILD_IMAGE = $(ENGINE) build $(ENGINE_BUILD_FLAGS) $(if $(BASE),--build-arg BASE=$(BASE)) $(BUILD_OPTS) -t $(IMAGE) .

.PHONY: image container-smoke base-image nginx-image compose-smoke

image:
	@test -n "$(CONTAINER)" || { echo "make image: neither podman nor docker found" >&2; exit 1; }
	$(BUILD_IMAGE)

container-smoke:
	@test -n "$(CONTAINER)" || { echo "make container-smoke: neither podman nor docker found" >&2; exit 1; }
	ENGINE='$(ENGINE)' ENGINE_NAME='$(notdir $(CONTAINER))' RUN_FLAGS='$(ENGINE_RUN_FLAGS)' IMAGE='$(IMAGE)' \
		BUILD='$(BUILD_IMAGE)' PYTHON='$(PYTHON)' scripts/container-smoke.sh

# deploy/docker-compose.yml for real: `make compose-smoke` builds the lab image, brings lab1, lab2 and nginx
# up with `docker compose` or podman-compose (whichever goes with the engine), probes them through nginx and
# tears them down. NGINX_IMAGE=… replaces the compose file's nginx:1.27; NGINX_IMAGE=newton-lab-nginx
# is built first from deploy/nginx.Dockerfile on BASE (`make nginx-image`), where no registry is reachable:
#   make compose-smoke BASE=localhost/pybase:bookworm NGINX_IMAGE=newton-lab-nginx
NGINX_IMAGE ?=
NGINX_LOCAL_IMAGE ?= newton-lab-nginx
BUILD_NGINX_IMAGE = $(ENGINE) build $(ENGINE_BUILD_FLAGS) $(if $(BASE),--build-arg BASE=$(BASE)) $(BUILD_OPTS) \
	-t $(NGINX_LOCAL_IMAGE) -f deploy/nginx.Dockerfile deploy

nginx-image:
	@test -n "$(CONTAINER)" || { echo "make nginx-image: neither podman nor docker found" >&2; exit 1; }
	$(BUILD_NGINX_IMAGE)

compose-smoke:
	@test -n "$(CONTAINER)" || { echo "make compose-smoke: neither podman nor docker found" >&2; exit 1; }
	ENGINE='$(ENGINE)' ENGINE_NAME='$(notdir $(CONTAINER))' GLOBAL_FLAGS='$(if $(filter podman,$(notdir $(CONTAINER))),$(PODMAN_FLAGS))' \
		RUN_FLAGS='$(ENGINE_RUN_FLAGS)' IMAGE='$(IMAGE)' BUILD='$(BUILD_IMAGE)' \
		NGINX_IMAGE='$(NGINX_IMAGE)' BUILD_NGINX='$(if $(filter $(NGINX_LOCAL_IMAGE),$(NGINX_IMAGE)),$(BUILD_NGINX_IMAGE))' \
		PYTHON='$(PYTHON)' STUDENT_PYTHON='$(abspath $(wildcard $(BIN)/python))' scripts/compose-smoke.sh

# A stand-in for python:3.12-slim built without any registry: Debian 12 (Python 3.11) by debootstrap,
# a venv first on PATH as in the official image, imported as $(LOCAL_BASE). Needs root and debootstrap.
base-image:
	@command -v debootstrap >/dev/null || { echo "make base-image: apt-get install -y debootstrap podman runc" >&2; exit 1; }
	rootfs=$$(mktemp -d /var/tmp/pybase.XXXXXX) && trap 'rm -rf "$$rootfs"' EXIT && \
	debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates \
		bookworm "$$rootfs" $(DEBIAN_MIRROR) && \
	chroot "$$rootfs" python3 -m venv /opt/venv && \
	rm -rf "$$rootfs"/var/cache/apt/archives/*.deb "$$rootfs"/var/lib/apt/lists/* && \
	tar -C "$$rootfs" -c . | $(CONTAINER) import \
		--change 'ENV PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
		--change 'ENV LANG=C.UTF-8' --change 'CMD ["python"]' - $(LOCAL_BASE)
