# make lifecycle-failures: runs the failure simulation (spec/76) under Lua 5.4 and
# writes what it saw to docs/lifecycle_failures.md, which the spec then checks.

.PHONY: lifecycle-failures
lifecycle-failures: build-5.4
	SIM_WRITE_DOC=1 lua5.4 $(BUSTED) --run=lua54 spec/76-lifecycle_simulation_spec.lua
