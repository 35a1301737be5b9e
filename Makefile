# mistapi: the Lua client for the Mist API's Org API Tokens.
# Each concern has its own file under mk/; this one only ties them together.

.DEFAULT_GOAL := all
SHELL := /bin/bash

include mk/deps.mk
include mk/build.mk
include mk/lua_versions.mk
include mk/help.mk
include mk/emulator.mk
-include mk/bench.mk
-include mk/safety.mk
-include mk/docs.mk
-include mk/repl.mk
-include mk/examples.mk
-include mk/openresty.mk
include mk/demo.mk
include mk/simulation.mk
# last: their rules read TEST_STEPS, which the files above may extend
include mk/test.mk
include mk/order.mk

.PHONY: all
all: build
