# make test: build both ABIs, lint, run the busted suite under Lua 5.4 and
# LuaJIT, and close with one line "total: N passed, N failed, N skipped".
# Other mk/ files add whole steps to TEST_STEPS before this file's rule runs.
# A failing step doesn't stop the others: every step runs, the closing line
# adds them up, and `make test` fails when anything failed.

# Real proxies for spec/36 (spec/support/proxies.lua): tinyproxy (http,
# CONNECT), stunnel4 in front of it (an https proxy), dante-server (socks5);
# zsh for the completion spec (spec/64-cli_completion_zsh).
EXTRA_DEB_PACKAGES += tinyproxy stunnel4 dante-server zsh

BUSTED      := /usr/bin/busted
COUNTS_FILE := build/test-counts.txt
COUNTS      := $(abspath $(COUNTS_FILE))
# Files and tests run in a random order, so no spec leans on another; the
# closing lines print the seed: `make test BUSTED_ARGS="--shuffle --seed=N"`
# replays an order, `make test BUSTED_ARGS=` runs them in file order.
BUSTED_ARGS ?= --shuffle

# $(call counted,COMMAND): runs COMMAND; a busted run appends its own counts,
# any other command counts as one check. A failure that left no count (a
# crash, a lint error) counts as one failure.
define counted
	@lines=$$(wc -l < $(COUNTS) 2>/dev/null || echo 0); \
	if MISTAPI_TEST_COUNTS=$(COUNTS) $(1); then ok=1; else ok=0; fi; \
	now=$$(wc -l < $(COUNTS)); \
	if [ "$$now" = "$$lines" ]; then if [ $$ok = 1 ]; then echo "1 0 0" >> $(COUNTS); else echo "0 1 0" >> $(COUNTS); fi; \
	elif [ $$ok = 0 ] && ! tail -n +$$((lines + 1)) $(COUNTS) | awk '$$2 > 0 {f=1} END {exit !f}'; then echo "0 1 0" >> $(COUNTS); fi
endef

.PHONY: test lint spec spec-5.4 spec-luajit test-start test-summary
test: test-start
	@$(MAKE) --no-print-directory -k lint spec-5.4 spec-luajit $(TEST_STEPS) || echo "0 1 0" >> $(COUNTS)
	@$(MAKE) --no-print-directory test-summary

test-start: deps build
	@mkdir -p build && : > $(COUNTS_FILE)

lint: deps
	$(call counted,luacheck -q lua spec examples emulator/lua $(wildcard bin))

spec: spec-5.4
# the fuzz binaries first: spec 85 replays the header corpus through one
spec-5.4: build-5.4 $(if $(filter fuzz-smoke,$(TEST_STEPS)),fuzz-build)
	$(call counted,lua5.4 $(BUSTED) --run=lua54 $(BUSTED_ARGS))

spec-luajit: build-5.1 $(if $(filter fuzz-smoke,$(TEST_STEPS)),fuzz-build)
	$(call counted,luajit $(BUSTED) --run=luajit $(BUSTED_ARGS))

test-summary:
	@awk '{p+=$$1; f+=$$2; s+=$$3} END {printf "total: %d passed, %d failed, %d skipped\n", p, f, s; exit (f > 0)}' $(COUNTS_FILE)
