rockspec_format = "3.0"
package = "mistapi"
version = "0.1.0-1"
source = {
  url = "git+file:///dev/null",  -- installed from a checkout: luarocks make
}
description = {
  summary = "Lua client for the Juniper Mist API's Org API Tokens, with a C core over libcurl",
  detailed = [[
    Create, get, list, update and delete Mist Org API Tokens from Lua 5.4 scripts,
    from OpenResty/nginx (LuaJIT, non-blocking cosockets) and from the REPL.
  ]],
  license = "MIT",
}
dependencies = {
  "lua >= 5.1, < 5.5",
}
external_dependencies = {
  -- Debian keeps curl/curl.h under a multiarch folder: look for the libraries only.
  CURL = { library = "curl" },
  UUID = { library = "uuid" },
  YAJL = { library = "yajl" },
}
build = {
  type = "make",
  build_target = "rock",
  install_target = "rock-install",
  build_variables = {
    CFLAGS = "$(CFLAGS)",
    LUA_INCDIR = "$(LUA_INCDIR)",
  },
  install_variables = {
    LIBDIR = "$(LIBDIR)",
    LUADIR = "$(LUADIR)",
    BINDIR = "$(BINDIR)",
  },
}
