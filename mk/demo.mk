# make demo: the whole token lifecycle against a local emulator, started and stopped here.
LUA54_ENV = LUA_PATH_5_4="$(CURDIR)/lua/?.lua;$(CURDIR)/lua/?/init.lua;;" LUA_CPATH_5_4="$(CURDIR)/build/5.4/?.so;;"

.PHONY: demo
demo: deps build-5.4
	@set -e; dir=$$(mktemp -d /tmp/mistapi-demo.XXXXXX); \
	emulator/bin/mist-emulator start --env --watch $$$$ --dir $$dir/emu > $$dir/env; \
	trap 'emulator/bin/mist-emulator stop $$dir/emu >/dev/null 2>&1; rm -rf $$dir' EXIT; \
	. $$dir/env; \
	echo "emulator: $$MIST_HOST, org $$MIST_ORG_ID"; \
	$(LUA54_ENV) lua5.4 examples/quickstart.lua
