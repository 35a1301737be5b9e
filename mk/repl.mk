# make repl: an interactive Lua 5.4 session against a fresh emulator, with
# `client`, `tokens` and `org_id` ready; the emulator stops when the REPL ends.

# lua-readline: line editing, Tab completion and history (lua/mistapi/cli/repl.lua)
EXTRA_DEB_PACKAGES += tmux lua-readline
REPL_LUA_PATH  = $(CURDIR)/lua/?.lua;$(CURDIR)/lua/?/init.lua;;
REPL_LUA_CPATH = $(CURDIR)/build/5.4/?.so;;

.PHONY: repl
repl: build-5.4
	@set -u; env=$$(emulator/bin/mist-emulator start --env --watch $$$$) || exit 1; eval "$$env"; \
	dir=$$MIST_EMU_DIR; \
	trap 'emulator/bin/mist-emulator stop "$$dir"; echo "emulator stopped"' EXIT; \
	trap 'exit 129' HUP; trap 'exit 143' TERM; trap '' INT; \
	LUA_PATH_5_4='$(REPL_LUA_PATH)' LUA_CPATH_5_4='$(REPL_LUA_CPATH)' \
	lua5.4 -e 'os.exit(require "mistapi.cli.repl".main())'
