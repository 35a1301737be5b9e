# Build the C core once per Lua ABI, from the same sources:
#   build/5.4/mistapi/core.so  for Lua 5.4
#   build/5.1/mistapi/core.so  for LuaJIT (and the nginx Lua module)

CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
CORE_CFLAGS  = $(CFLAGS) $(WARN) -std=c99 -D_POSIX_C_SOURCE=200809L -fPIC -fvisibility=hidden \
               $(shell pkg-config --cflags libcurl uuid yajl)
CORE_LDLIBS  = $(shell pkg-config --libs libcurl uuid yajl)
CORE_LDFLAGS = -shared $(LDFLAGS)

LUA54_CFLAGS  = $(shell pkg-config --cflags lua5.4)
LUAJIT_CFLAGS = $(shell pkg-config --cflags luajit)

CORE_SRCS := $(wildcard csrc/*.c)
CORE_HDRS := $(wildcard csrc/*.h)
CORE_54   := build/5.4/mistapi/core.so
CORE_51   := build/5.1/mistapi/core.so

.PHONY: build build-5.4 build-5.1 clean
build: $(CORE_54) $(CORE_51)
build-5.4: $(CORE_54)
build-5.1: $(CORE_51)

$(CORE_54): $(CORE_SRCS) $(CORE_HDRS) mk/build.mk | deps
	@mkdir -p $(@D)
	$(CC) $(CORE_CFLAGS) $(LUA54_CFLAGS) $(CORE_LDFLAGS) -o $@ $(CORE_SRCS) $(CORE_LDLIBS)

$(CORE_51): $(CORE_SRCS) $(CORE_HDRS) mk/build.mk | deps
	@mkdir -p $(@D)
	$(CC) $(CORE_CFLAGS) $(LUAJIT_CFLAGS) $(CORE_LDFLAGS) -o $@ $(CORE_SRCS) $(CORE_LDLIBS)

clean:
	rm -rf build

# make install: PREFIX, DESTDIR and LUA_VERSION (5.4, or 5.1 for LuaJIT/OpenResty).
PREFIX      ?= /usr/local
LUA_VERSION ?= 5.4
LUA_LDIR    ?= $(PREFIX)/share/lua/$(LUA_VERSION)
LUA_CDIR    ?= $(PREFIX)/lib/lua/$(LUA_VERSION)
BINDIR      ?= $(PREFIX)/bin

.PHONY: install uninstall
install: build/$(LUA_VERSION)/mistapi/core.so
	install -d $(DESTDIR)$(LUA_CDIR)/mistapi $(DESTDIR)$(LUA_LDIR)/mistapi/transport
	install -m 0644 build/$(LUA_VERSION)/mistapi/core.so $(DESTDIR)$(LUA_CDIR)/mistapi/core.so
	cd lua && find mistapi -name '*.lua' -exec install -D -m 0644 {} $(DESTDIR)$(LUA_LDIR)/{} \;
	@if [ -d bin ]; then install -d $(DESTDIR)$(BINDIR); for f in bin/*; do install -m 0755 $$f $(DESTDIR)$(BINDIR)/; done; fi

uninstall:
	rm -rf $(DESTDIR)$(LUA_CDIR)/mistapi $(DESTDIR)$(LUA_LDIR)/mistapi

# The rockspec's "make" build: luarocks passes LUA_INCDIR, LIBDIR, LUADIR, BINDIR.
.PHONY: rock rock-install
rock:
	@mkdir -p build/rock/mistapi
	$(CC) $(CORE_CFLAGS) -I$(LUA_INCDIR) $(CORE_LDFLAGS) -o build/rock/mistapi/core.so $(CORE_SRCS) $(CORE_LDLIBS)

rock-install:
	install -d $(LIBDIR)/mistapi $(LUADIR)/mistapi
	install -m 0644 build/rock/mistapi/core.so $(LIBDIR)/mistapi/core.so
	cd lua && find mistapi -name '*.lua' -exec install -D -m 0644 {} $(LUADIR)/{} \;
	@if [ -d bin ]; then install -d $(BINDIR); for f in bin/*; do install -m 0755 $$f $(BINDIR)/; done; fi
