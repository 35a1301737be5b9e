# Build the C core once per Lua ABI, from the same sources:
#   build/5.4/mistapi/core.so  for Lua 5.4
#   build/5.1/mistapi/core.so  for LuaJIT (and the nginx Lua module)

CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
CORE_CFLAGS  = $(CFLAGS) $(WARN) -std=c99 -D_POSIX_C_SOURCE=200809L -fPIC -fvisibility=hidden \
               $(shell pkg-config --cflags libcurl uuid yajl hiredis libcrypto)
# libcurl's and libcrypto's headers, not the libraries: the core loads them
# (dlopen) when the first session or digest needs one, so JSON alone (an nginx
# worker on cosockets) never maps them. hiredis (small, libc only) is linked.
CORE_LDLIBS  = $(shell pkg-config --libs uuid yajl hiredis) -ldl
CORE_LDFLAGS = -shared $(LDFLAGS)

LUA54_CFLAGS  = $(shell pkg-config --cflags lua5.4)
LUAJIT_CFLAGS = $(shell pkg-config --cflags luajit)

CORE_SRCS := $(wildcard csrc/*.c)
CORE_HDRS := $(wildcard csrc/*.h)
CORE_54   := build/5.4/mistapi/core.so
CORE_51   := build/5.1/mistapi/core.so

# csrc/schema.h is made from lua/mistapi/schema.lua (Mist's vocabulary and the
# token models) and committed: building needs a C compiler, not a Lua
# interpreter (liblua5.4-dev has none). After editing the schema: make schema
# (spec/09-schema_spec.lua fails while the header is stale).
SCHEMA_LUA ?= $(or $(shell command -v lua5.4 2>/dev/null),$(shell command -v luajit 2>/dev/null),lua)

.PHONY: build build-5.4 build-5.1 clean schema
schema:
	$(SCHEMA_LUA) tools/gen_schema.lua lua/mistapi/schema.lua > csrc/schema.h.tmp
	mv csrc/schema.h.tmp csrc/schema.h

build: $(CORE_54) $(CORE_51)
build-5.4: $(CORE_54)
build-5.1: $(CORE_51)

$(CORE_54): $(CORE_SRCS) $(CORE_HDRS) mk/build.mk | build-deps
	@mkdir -p $(@D)
	$(CC) $(CORE_CFLAGS) $(LUA54_CFLAGS) $(CORE_LDFLAGS) -o $@ $(CORE_SRCS) $(CORE_LDLIBS)

$(CORE_51): $(CORE_SRCS) $(CORE_HDRS) mk/build.mk | build-deps
	@mkdir -p $(@D)
	$(CC) $(CORE_CFLAGS) $(LUAJIT_CFLAGS) $(CORE_LDFLAGS) -o $@ $(CORE_SRCS) $(CORE_LDLIBS)

clean:
	rm -rf build

# make install: PREFIX, DESTDIR and LUA_VERSION (5.4; 5.1 for LuaJIT/OpenResty; 5.2, 5.3).
# The CLI goes in with it, run by that install's interpreter (luajit for 5.1) and
# finding that install's modules relative to itself, so it runs from any PREFIX.
# A list of the folders install had to make is kept beside the modules, so that
# uninstall removes exactly what install put there, and those folders once empty.
PREFIX      ?= /usr/local
LUA_VERSION ?= 5.4
LUA_LDIR    ?= $(PREFIX)/share/lua/$(LUA_VERSION)
LUA_CDIR    ?= $(PREFIX)/lib/lua/$(LUA_VERSION)
BINDIR      ?= $(PREFIX)/bin
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
LUA_INTERP_5.1 := luajit
LUA_INTERP  ?= $(or $(LUA_INTERP_$(LUA_VERSION)),lua$(LUA_VERSION))
CLI         := mistapi-tokens
INSTALL_DIRS_FILE = $(LUA_LDIR)/mistapi/.install-dirs

.PHONY: install uninstall
install: build/$(LUA_VERSION)/mistapi/core.so
	@set -e; made=; \
	for d in "$(LUA_CDIR)/mistapi" "$(LUA_LDIR)/mistapi" "$(BINDIR)" "$(COMPLETIONDIR)"; do \
	  while [ ! -d "$(DESTDIR)$$d" ] && [ "$$d" != / ] && [ "$$d" != . ]; do made="$$made$$d\n"; d=$$(dirname "$$d"); done; \
	done; \
	old=$$(cat "$(DESTDIR)$(INSTALL_DIRS_FILE)" 2>/dev/null || true); \
	install -d "$(DESTDIR)$(LUA_CDIR)/mistapi" "$(DESTDIR)$(LUA_LDIR)/mistapi" "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(COMPLETIONDIR)"; \
	install -m 0644 build/$(LUA_VERSION)/mistapi/core.so "$(DESTDIR)$(LUA_CDIR)/mistapi/core.so"; \
	(cd lua && find mistapi -name '*.lua' -exec install -D -m 0644 {} "$(DESTDIR)$(LUA_LDIR)/{}" \;); \
	ldir=$$(realpath -m --relative-to="$(BINDIR)" "$(LUA_LDIR)"); \
	cdir=$$(realpath -m --relative-to="$(BINDIR)" "$(LUA_CDIR)"); \
	{ echo '#!/usr/bin/env $(LUA_INTERP)'; \
	  echo "-- installed by make install (Lua $(LUA_VERSION)): this install's modules come first"; \
	  echo "do local d = (arg and arg[0] or ''):match('^(.*)/[^/]*\$$') or '.'"; \
	  echo "  package.path = d .. '/$$ldir/?.lua;' .. d .. '/$$ldir/?/init.lua;' .. package.path"; \
	  echo "  package.cpath = d .. '/$$cdir/?.so;' .. package.cpath end"; \
	  tail -n +2 bin/$(CLI); } > "$(DESTDIR)$(BINDIR)/$(CLI).tmp"; \
	chmod 0755 "$(DESTDIR)$(BINDIR)/$(CLI).tmp"; mv "$(DESTDIR)$(BINDIR)/$(CLI).tmp" "$(DESTDIR)$(BINDIR)/$(CLI)"; \
	"$(DESTDIR)$(BINDIR)/$(CLI)" completion bash > "$(DESTDIR)$(COMPLETIONDIR)/$(CLI)"; \
	{ printf '%s\n' "$$old"; printf "$$made"; } | sed '/^$$/d' | sort -u > "$(DESTDIR)$(INSTALL_DIRS_FILE)"; \
	echo "installed mistapi for Lua $(LUA_VERSION) in $(DESTDIR)$(PREFIX), and $(BINDIR)/$(CLI) (run by $(LUA_INTERP))"

# The CLI (and its bash completion) is removed only when it is this install's (run by this Lua): two installs
# for different Lua versions share one bin/$(CLI), and the last one wrote it.
uninstall:
	@set -e; dirs=$$(cat "$(DESTDIR)$(INSTALL_DIRS_FILE)" 2>/dev/null || true); \
	if head -n 1 "$(DESTDIR)$(BINDIR)/$(CLI)" 2>/dev/null | grep -qx '#!/usr/bin/env $(LUA_INTERP)'; then \
	  rm -f "$(DESTDIR)$(BINDIR)/$(CLI)" "$(DESTDIR)$(COMPLETIONDIR)/$(CLI)"; fi; \
	rm -rf "$(DESTDIR)$(LUA_CDIR)/mistapi" "$(DESTDIR)$(LUA_LDIR)/mistapi"; \
	printf '%s\n' "$$dirs" | awk '{ print length, $$0 }' | sort -rn | cut -d' ' -f2- | \
	  while IFS= read -r d; do [ -n "$$d" ] && rmdir "$(DESTDIR)$$d" 2>/dev/null || true; done; \
	echo "uninstalled mistapi for Lua $(LUA_VERSION) from $(DESTDIR)$(PREFIX)"

# The rockspec's "make" build: luarocks passes LUA_INCDIR, LIBDIR, LUADIR, BINDIR.
.PHONY: rock rock-install
rock:
	@mkdir -p build/rock/mistapi
	$(CC) $(CORE_CFLAGS) -I$(LUA_INCDIR) $(CORE_LDFLAGS) -o build/rock/mistapi/core.so $(CORE_SRCS) $(CORE_LDLIBS)

# The CLI is the rockspec's build.install.bin: luarocks wraps it for the tree's Lua.
rock-install:
	install -d $(LIBDIR)/mistapi $(LUADIR)/mistapi
	install -m 0644 build/rock/mistapi/core.so $(LIBDIR)/mistapi/core.so
	cd lua && find mistapi -name '*.lua' -exec install -D -m 0644 {} $(LUADIR)/{} \;
