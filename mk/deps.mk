# make deps: install the Debian packages the project needs, when missing.
# As root it runs apt-get; otherwise it prints the line to run.

DEB_PACKAGES := lua5.4 liblua5.4-dev lua5.1 liblua5.1-0-dev luajit2 libluajit2-5.1-dev \
  lua-cjson lua-busted lua-check luarocks libcurl4-openssl-dev uuid-dev libyajl-dev \
  pkg-config gcc make openssl ca-certificates nginx libnginx-mod-http-lua lua-resty-core

.PHONY: deps
deps:
	@missing=$$(for p in $(DEB_PACKAGES) $(EXTRA_DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
	  echo "make deps: installing $$missing"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing) >/dev/null \
	    || { echo "make deps: apt-get failed" >&2; exit 1; }; \
	else \
	  echo "make deps: missing packages; run as root: apt-get install -y $$missing" >&2; exit 1; \
	fi
