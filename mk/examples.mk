# make examples: run every script of examples/ against a fresh emulator, in
# the order a reader would (the Go snippets on one token, then the tools).
# New keys go to a temp file, never to the terminal. spec/63-examples_spec.lua
# runs each of them in `make test` and checks its output.

EX_LUA_PATH  = $(CURDIR)/lua/?.lua;$(CURDIR)/lua/?/init.lua;;
EX_LUA_CPATH = $(CURDIR)/build/5.4/?.so;;
EX_RUN = LUA_PATH_5_4='$(EX_LUA_PATH)' LUA_CPATH_5_4='$(EX_LUA_CPATH)' lua5.4

.PHONY: examples
examples: build-5.4
	@set -eu; env=$$(emulator/bin/mist-emulator start --env --watch $$$$); eval "$$env"; \
	dir=$$MIST_EMU_DIR; \
	trap 'emulator/bin/mist-emulator stop "$$dir"' EXIT; \
	step() { printf '\n== %s\n' "$$*"; }; \
	step go_snippets/create_org_api_token.lua; \
	out=$$($(EX_RUN) examples/go_snippets/create_org_api_token.lua); echo "$$out"; \
	id=$$(printf '%s\n' "$$out" | awk 'NR == 1 { print $$2 }'); \
	step go_snippets/list_org_api_tokens.lua; $(EX_RUN) examples/go_snippets/list_org_api_tokens.lua; \
	step go_snippets/get_org_api_token.lua $$id; $(EX_RUN) examples/go_snippets/get_org_api_token.lua $$id; \
	step go_snippets/update_org_api_token.lua $$id; $(EX_RUN) examples/go_snippets/update_org_api_token.lua $$id; \
	step go_snippets/delete_org_api_token.lua $$id; $(EX_RUN) examples/go_snippets/delete_org_api_token.lua $$id; \
	for n in 1 2 3; do bin/mistapi-tokens create --name ci-$$n --privilege admin:org --key-file "$$dir/ci-$$n.key" >/dev/null 2>&1; done; \
	step audit_stale_tokens.lua --days 30; $(EX_RUN) examples/audit_stale_tokens.lua --days 30 || [ $$? = 1 ]; \
	old=$$(bin/mistapi-tokens list --json | $(EX_RUN) -e 'for id, name in io.read("a"):gmatch([["id":"([^"]+)","name":"ci%-1"]]) do print(id) end'); \
	step rotate_token.lua $$old --key-file ...; $(EX_RUN) examples/rotate_token.lua $$old --name ci-1-rotated --key-file "$$dir/rotated.key"; \
	step bulk_cleanup.lua --match "^ci%-"; $(EX_RUN) examples/bulk_cleanup.lua --match '^ci%-'; \
	step bulk_cleanup.lua --match "^ci%-" --apply; $(EX_RUN) examples/bulk_cleanup.lua --match '^ci%-' --apply; \
	printf '\nall examples ran\n'
