# make test: build both ABIs, lint, run the busted suite under Lua 5.4 and
# LuaJIT, and close with one line "total: N passed, N failed, N skipped".
# Other mk/ files add whole steps to TEST_STEPS before this file's rule runs.

BUSTED      := /usr/bin/busted
COUNTS_FILE := build/test-counts.txt
BUSTED_ARGS ?=

.PHONY: test lint spec spec-5.4 spec-luajit test-start test-summary
test: test-start lint spec-5.4 spec-luajit $(TEST_STEPS)
	@$(MAKE) --no-print-directory test-summary

test-start: build
	@mkdir -p build && : > $(COUNTS_FILE)

lint: deps
	luacheck -q lua spec examples emulator/lua $(wildcard bin)

spec: spec-5.4
spec-5.4: build-5.4
	MISTAPI_TEST_COUNTS=$(abspath $(COUNTS_FILE)) lua5.4 $(BUSTED) --run=lua54 $(BUSTED_ARGS)

spec-luajit: build-5.1
	MISTAPI_TEST_COUNTS=$(abspath $(COUNTS_FILE)) luajit $(BUSTED) --run=luajit $(BUSTED_ARGS)

test-summary:
	@awk '{p+=$$1; f+=$$2; s+=$$3} END {printf "total: %d passed, %d failed, %d skipped\n", p, f, s; exit (f > 0)}' $(COUNTS_FILE)
