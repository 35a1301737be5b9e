rockspec_format = "3.0"
package = "mistapi"
version = "0.2.0-1"
-- What `luarocks install` fetches; from a checkout, `luarocks make` builds what is there.
-- The tag is made at release; the host is the project's public repository.
source = {
  url = "git+https://github.com/mistapi-lua/mistapi.git",
  tag = "v0.2.0",
}
description = {
  summary = "Lua client for the Juniper Mist API's Org API Tokens, with a C core over libcurl",
  detailed = [[
    Create, get, list, update and delete Mist Org API Tokens from Lua scripts
    (Lua 5.1 to 5.4 and LuaJIT), from OpenResty/nginx (non-blocking cosockets),
    from the mistapi-tokens command and from the REPL.
  ]],
  homepage = "https://github.com/mistapi-lua/mistapi",
  license = "MIT",
}
-- Each of 5.1 (PUC and LuaJIT), 5.2, 5.3 and 5.4 is built and tested by `make test`.
dependencies = {
  "lua >= 5.1, < 5.5",
}
external_dependencies = {
  -- Debian keeps curl/curl.h under a multiarch folder: look for the libraries only.
  CURL = { library = "curl" },
  UUID = { library = "uuid" },
  YAJL = { library = "yajl" },
  -- the shared rate budget's Redis client (linked); OpenSSL's libcrypto is
  -- loaded at run time for the budget's keyed digest: its headers only
  HIREDIS = { library = "hiredis" },
  OPENSSL = { header = "openssl/hmac.h" },
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
  },
  install = {
    -- luarocks wraps it so that it runs with the tree's Lua and finds the tree's modules
    bin = { ["mistapi-tokens"] = "bin/mistapi-tokens" },
  },
}
