# The Lua versions besides 5.4 and LuaJIT that the rockspec names: PUC Lua 5.1
# (the LuaJIT-header build loads there too), 5.2 and 5.3, each with its own core:
#   build/5.2/mistapi/core.so, build/5.3/mistapi/core.so
# `make test` runs the library's specs (SPECS_ALL_LUA: no nginx-hosted code, no
# lua5.4 scripts) under each of them.

EXTRA_DEB_PACKAGES += lua5.2 liblua5.2-dev lua5.3 liblua5.3-dev
CORE_52 := build/5.2/mistapi/core.so
CORE_53 := build/5.3/mistapi/core.so

.PHONY: build-5.2 build-5.3 build-all spec-other-lua
build-5.2: $(CORE_52)
build-5.3: $(CORE_53)
build-all: build build-5.2 build-5.3

$(CORE_52) $(CORE_53): build/%/mistapi/core.so: $(CORE_SRCS) $(CORE_HDRS) mk/build.mk | deps
	@mkdir -p $(@D)
	$(CC) $(CORE_CFLAGS) $(shell pkg-config --cflags lua$*) $(CORE_LDFLAGS) -o $@ $(CORE_SRCS) $(CORE_LDLIBS)

# The library's own specs: the core, options, errors, retries, paging, sessions,
# operations, bulk calls, printing, the lifecycle helpers, hostile answers.
# (The CLI's specs run bin/mistapi-tokens, a lua5.4 script, whatever runs busted.)
SPECS_ALL_LUA = $(filter-out %cli_spec.lua,$(wildcard spec/0*_spec.lua spec/1*_spec.lua spec/3*_spec.lua \
  spec/4*_spec.lua spec/60-*_spec.lua spec/7*_spec.lua spec/81-*_spec.lua))

# PUC 5.1 can't yield across pcall, which spec 70 uses to stop a rotation midway
# (the library itself doesn't yield); LuaJIT can, and runs it.
SPECS_NOT_PUC51 = spec/70-lifecycle_rotate_spec.lua

spec-other-lua: build-5.1 build-5.2 build-5.3
	$(call counted,lua5.1 $(BUSTED) --run=lua51 $(BUSTED_ARGS) $(filter-out $(SPECS_NOT_PUC51),$(SPECS_ALL_LUA)))
	$(call counted,lua5.2 $(BUSTED) --run=lua52 $(BUSTED_ARGS) $(SPECS_ALL_LUA))
	$(call counted,lua5.3 $(BUSTED) --run=lua53 $(BUSTED_ARGS) $(SPECS_ALL_LUA))

TEST_STEPS += spec-other-lua

# every core before any spec: spec 90 installs each Lua's build
test-start: build-5.2 build-5.3
