# Debian packages, in two sets:
#   make build-deps  what building the C core needs (make, make install, luarocks)
#   make deps        that plus every tool the tests, demo, bench and docs use
# As root each runs apt-get for what is missing; otherwise it prints the line
# to run. Building never asks for a test tool, so a non-root `make` works on a
# machine that has only the build set.

BUILD_DEB_PACKAGES := gcc make pkg-config liblua5.4-dev libluajit2-5.1-dev \
  libcurl4-openssl-dev uuid-dev libyajl-dev libhiredis-dev libssl-dev
DEB_PACKAGES := $(BUILD_DEB_PACKAGES) lua5.4 lua5.1 liblua5.1-0-dev luajit2 \
  lua-cjson lua-busted lua-check luarocks openssl ca-certificates nginx libnginx-mod-http-lua lua-resty-core redis-server

# $(call apt_ensure,PACKAGES,TARGET)
define apt_ensure
	@missing=$$(for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	missing=$$(echo $$missing); \
	if [ "$$(id -u)" = 0 ]; then \
	  echo "make $(2): installing $$missing"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing) >/dev/null \
	    || { echo "make $(2): apt-get failed" >&2; exit 1; }; \
	else \
	  echo "make $(2): missing packages; run as root: apt-get install -y $$missing" >&2; exit 1; \
	fi
endef

.PHONY: deps build-deps
build-deps:
	$(call apt_ensure,$(BUILD_DEB_PACKAGES),build-deps)

deps:
	$(call apt_ensure,$(DEB_PACKAGES) $(EXTRA_DEB_PACKAGES),deps)
