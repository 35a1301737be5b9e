# OpenResty/nginx: the example server of examples/openresty.
#   make openresty-example   run it in the foreground against a fresh local
#                            emulator (Ctrl-C stops both); it prints the curl
#                            line to try (with the shared secret it made up)
#   make openresty-conf OPENRESTY_DIR=DIR [MIST_...]   only write DIR/nginx.conf
# The nginx specs (spec/5x-openresty_*) run in `make test`, in the Lua 5.4 run.

OPENRESTY_LISTEN   ?= 127.0.0.1:8080
OPENRESTY_CA_FILE  ?= /etc/ssl/certs/ca-certificates.crt
OPENRESTY_RESOLVER ?= $(or $(shell awk '/^nameserver/ { a = $$2; if (a ~ /:/) a = "[" a "]"; print a; exit }' /etc/resolv.conf 2>/dev/null),127.0.0.1)
OPENRESTY_RESOLVER_TIMEOUT ?= 5s
OPENRESTY_DIR      ?=

# render DIR CA_FILE: the example config with its @NAMES@ filled in (comments kept).
OPENRESTY_RENDER = sed -e '/^[[:space:]]*\#/!{' \
  -e "s|@PREFIX@|$$1|g; s|@LISTEN@|$(OPENRESTY_LISTEN)|g; s|@LUA_DIR@|$(CURDIR)/lua|g" \
  -e "s|@CORE_DIR@|$(CURDIR)/build/5.1|g; s|@APP_DIR@|$(CURDIR)/examples/openresty|g" \
  -e "s|@CA_FILE@|$$2|g; s|@RESOLVER@|$(OPENRESTY_RESOLVER)|g; s|@RESOLVER_TIMEOUT@|$(OPENRESTY_RESOLVER_TIMEOUT)|g" \
  -e '}' examples/openresty/nginx.conf

# The example holds an org admin's token: it listens on loopback only. Put your own
# TLS proxy (with its own authentication) in front to reach it from elsewhere.
# (127.* or localhost: the names its server_name answers to.)
OPENRESTY_CHECK_LISTEN = case "$(OPENRESTY_LISTEN)" in 127.*:*|localhost:*) ;; \
  *) echo "make: OPENRESTY_LISTEN=$(OPENRESTY_LISTEN) is not a loopback address: the example server holds an admin token" >&2; exit 1;; esac

.PHONY: openresty-conf openresty-example
openresty-conf: build-5.1
	@test -n "$(OPENRESTY_DIR)" || { echo "make openresty-conf: set OPENRESTY_DIR" >&2; exit 1; }
	@$(OPENRESTY_CHECK_LISTEN)
	@set -e; mkdir -p "$(OPENRESTY_DIR)/logs" "$(OPENRESTY_DIR)/tmp" "$(OPENRESTY_DIR)/conf.d"; \
	dir=$$(cd "$(OPENRESTY_DIR)" && pwd); render() { $(OPENRESTY_RENDER); }; \
	render "$$dir" "$(OPENRESTY_CA_FILE)" > "$$dir/nginx.conf"; \
	echo "wrote $$dir/nginx.conf; run: nginx -p $$dir -c $$dir/nginx.conf -e $$dir/logs/error.log"

openresty-example: deps build-5.1
	@$(OPENRESTY_CHECK_LISTEN)
	@set -eu; dir=$$(mktemp -d /tmp/mistapi-openresty.XXXXXX); \
	mkdir -p "$$dir/logs" "$$dir/tmp" "$$dir/conf.d"; \
	env=$$(emulator/bin/mist-emulator start --env --watch $$$$ --dir "$$dir/emu"); eval "$$env"; \
	cleanup() { emulator/bin/mist-emulator stop "$$dir/emu" >/dev/null 2>&1 || true; rm -rf "$$dir"; }; \
	trap cleanup EXIT; trap 'exit 130' INT TERM; \
	render() { $(OPENRESTY_RENDER); }; \
	render "$$dir" "$$MIST_EMU_CA" > "$$dir/nginx.conf"; \
	echo "emulator: $$MIST_HOST (org $$MIST_ORG_ID); TLS: $$MIST_EMU_TLS_URL, trusted by this nginx"; \
	umask 077; head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$$dir/secret"; \
	export MISTAPI_APP_SECRET=$$(cat "$$dir/secret"); \
	echo "serving on http://$(OPENRESTY_LISTEN): GET /tokens, POST /tokens/ID/rotate; logs in $$dir/logs; Ctrl-C stops"; \
	echo "try: curl -H \"Authorization: Bearer \$$(cat $$dir/secret)\" http://$(OPENRESTY_LISTEN)/tokens"; \
	nginx -p "$$dir" -c "$$dir/nginx.conf" -e "$$dir/logs/error.log"
