# make test-order: every spec file alone under many shuffle seeds, under Lua
# 5.4 and LuaJIT (tools/seed_sweep); one line with the replay command for each
# (file, run, seed) that fails, then "seed sweep: N runs (...), N passed, N failed".
# Not part of make test: 50 seeds of the whole suite take hours (README.md, "Tests").
#   make test-order SEEDS=10 SEED_START=51 FILES="spec/30-retries_spec.lua" RUNS=luajit JOBS=1

SEEDS       ?= 50
SEED_START  ?= 1
RUNS        ?= lua54 luajit
JOBS        ?= 2
RUN_TIMEOUT ?= 600
FILES       ?=

.PHONY: test-order
# what the specs need, as for make test: both cores, 5.2 and 5.3 (spec 90
# installs each), the fuzz binaries (spec 85), Prism (spec 29)
test-order: build build-5.2 build-5.3 $(if $(filter fuzz-smoke,$(TEST_STEPS)),fuzz-build) \
            $(if $(filter prism-install,$(TEST_STEPS)),prism-install)
	@SEEDS='$(SEEDS)' SEED_START='$(SEED_START)' RUNS='$(RUNS)' JOBS='$(JOBS)' \
	  RUN_TIMEOUT='$(RUN_TIMEOUT)' FILES='$(FILES)' tools/seed_sweep
