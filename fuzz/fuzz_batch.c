/* session:batch driven by hostile Lua values: the input bytes pick the
 * requests (tables, positional or named, with an __index that answers
 * differently at each read, wrong types, CR/LF in headers) and the
 * concurrency. Whatever happens,
 * the call raises or answers; it never crashes, which ASan checks. No
 * network: every URL fails at once (a refused loopback port, a scheme
 * the session does not allow). */
#include <stdio.h>
#include <stdlib.h>

#include "lua_host.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static const char driver[] =
    "local core, data = ...\n"
    "local pos = 0\n"
    "local function byte() pos = pos + 1; return data:byte(pos) or 0 end\n"
    "local URLS = { 'https://127.0.0.1:1/a', 'http://127.0.0.1:1/b', 'file:///etc/hostname',\n"
    "  'gopher://127.0.0.1:1/', 'https://127.0.0.1:1/\\r\\nX: y', '', 'https://[::1' }\n"
    "local s = core.session { timeout = 2, connect_timeout = 1, allow_http = byte() % 2 == 0 }\n"
    "local gc = getmetatable(s).__gc\n"
    "local value\n"
    "local function shifty()\n"
    "  local reads = 0\n"
    "  return setmetatable({}, { __index = function(_, k)\n"
    "    reads = reads + 1\n"
    "    if k == 'method' then return ({ 'GET', 'PUT', 'POST', 'DELETE', 'PATCH', false })[byte() % 6 + 1] end\n"
    "    if k == 'url' then return URLS[byte() % #URLS + 1] end\n"
    "    return value(1)\n"
    "  end })\n"
    "end\n"
    "local function headers(depth)\n"
    "  local h = {}\n"
    "  for _ = 1, byte() % 4 do\n"
    "    local k = ({ 'X-A', 'Accept', 'x b', '', 'X\\r\\nY', 1 })[byte() % 6 + 1]\n"
    "    h[k] = value(depth + 1)\n"
    "  end\n"
    "  return h\n"
    "end\n"
    "function value(depth)\n"
    "  local b = byte() % 14\n"
    "  if depth > 3 then b = b % 8 end\n"
    "  if b == 0 then return nil\n"
    "  elseif b == 1 then return 'GET'\n"
    "  elseif b == 2 then return URLS[byte() % #URLS + 1]\n"
    "  elseif b == 3 then return 42\n"
    "  elseif b == 4 then return true\n"
    "  elseif b == 5 then return 'a\\r\\nb'\n"
    "  elseif b == 6 then return 'nul\\0inside'\n"
    "  elseif b == 7 then return 1.5\n"
    "  elseif b == 8 then return shifty()\n"
    "  elseif b == 9 then return headers(depth)\n"
    "  elseif b == 10 then return { value(depth + 1), value(depth + 1), value(depth + 1), value(depth + 1) }\n"
    "  elseif b == 11 then return { method = value(depth + 1), url = value(depth + 1),\n"
    "    headers = headers(depth), body = value(depth + 1) }\n"
    "  elseif b == 12 then return { 'GET', URLS[byte() % #URLS + 1], headers(depth), value(depth + 1) }\n"
    "  else return s end\n"
    "end\n"
    "local function item()\n"
    "  local b = byte() % 4\n"
    "  if b == 0 then return { 'GET', URLS[byte() % #URLS + 1], headers(1) } end\n"
    "  if b == 1 then return shifty() end\n"
    "  if b == 2 then return { method = 'DELETE', url = URLS[byte() % #URLS + 1], body = value(2) } end\n"
    "  return value(1)\n"
    "end\n"
    "local reqs = {}\n"
    "for i = 1, byte() % 7 do reqs[i] = item() end\n"
    "local conc = ({ 1, 2, 3, 6, 0, 101, 1.5, 'x' })[byte() % 8 + 1]\n"
    "local ok, res = pcall(s.batch, s, reqs, conc)\n"
    "if ok then\n"
    "  assert(type(res) == 'table', 'batch answers a table')\n"
    "  for i = 1, #res do\n"
    "    local r = res[i]\n"
    "    assert(type(r) == 'table' and (type(r.err) == 'table' or type(r.status) == 'number'), 'each result')\n"
    "  end\n"
    "end\n"
    "-- after a batch, the session is usable or closed, never half-freed\n"
    "pcall(s.request, s, 'GET', URLS[1])\n"
    "gc(s)\n"
    "pcall(s.close, s)\n";

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    lua_State *L = fuzz_lua();
    if (luaL_loadbuffer(L, driver, sizeof driver - 1, "=fuzz_batch") != LUA_OK) {
        fprintf(stderr, "fuzz: driver does not load: %s\n", lua_tostring(L, -1));
        abort();
    }
    lua_pushvalue(L, 1);
    lua_pushlstring(L, (const char *)data, size);
    fuzz_call(L, 2, 0, "the batch driver");
    fuzz_reset(L);
    return 0;
}
