-- What is measured: each work, the implementations that do it, the command
-- line for each, the checksum it must print, and the request counts that
-- callgrind's long and short runs differ by.
local M = {}

M.IMPLS = {
  { key = "floor", name = "floor: C libcurl+cJSON", cmd = { "build/bench/floor" } },
  { key = "mistapi-5.4", name = "mistapi, Lua 5.4", cmd = { "lua5.4", "bench/run_mistapi.lua" } },
  { key = "mistapi-jit", name = "mistapi, LuaJIT", cmd = { "luajit", "bench/run_mistapi.lua" } },
  { key = "luasocket", name = "Lua 5.4 luasocket+cjson", cmd = { "lua5.4", "bench/peer_luasocket.lua" },
    sequential_only = true },
  { key = "python", name = "Python 3 requests+json", cmd = { "/usr/bin/python3", "bench/peer_python.py" } },
}

-- The list fetched with mistapi's own libcurl session and decoded by
-- lua-cjson plus the post-pass: differs from mistapi only in the decoding.
local LIST_REFS = {
  { key = "cjson-post", name = "core HTTP+cjson+post-pass", cmd = { "lua5.4", "bench/ref_cjson.lua" },
    tail = { "post" } },
}

-- The in-memory decode of the 10,000 list: the core's decoder against the
-- reference the issue names, lua-cjson with and without the Lua post-pass.
local DECODERS = {
  { key = "floor", name = "floor: cJSON_Parse+walk", cmd = { "build/bench/floor" } },
  { key = "mistapi-5.4", name = "mistapi core, Lua 5.4", cmd = { "lua5.4", "bench/run_mistapi.lua" } },
  { key = "mistapi-jit", name = "mistapi core, LuaJIT", cmd = { "luajit", "bench/run_mistapi.lua" } },
  { key = "cjson", name = "cjson.decode alone", cmd = { "lua5.4", "bench/ref_cjson.lua" } },
  { key = "cjson-post", name = "cjson.decode+post-pass", cmd = { "lua5.4", "bench/ref_cjson.lua" },
    tail = { "post" } },
}

local function with(a, b)
  local out = {}
  for _, v in ipairs(a) do out[#out + 1] = v end
  for _, v in ipairs(b) do out[#out + 1] = v end
  return out
end

local function argv(impl, mid)
  local out = {}
  for _, v in ipairs(impl.cmd) do out[#out + 1] = v end
  for _, v in ipairs(mid) do out[#out + 1] = tostring(v) end
  for _, v in ipairs(impl.tail or {}) do out[#out + 1] = v end
  return out
end

-- One entry per (work, implementation): { work, impl, argv, expect, cg = {short, long, diff} }.
function M.plan(fx, srv, o)
  local list = fx.lists[10000]
  local works = {
    { key = "get", title = ("GET one token x%d"):format(o.get_n), impls = M.IMPLS,
      args = function(n) return { "get", srv.fast, fx.org, fx.one_id, n } end,
      n = o.get_n, sum = fx.sums.one, cg = { 10, 110 } },
    { key = "list", title = "GET 10,000-token list", impls = with(M.IMPLS, LIST_REFS),
      args = function(n) return { "list", srv.fast, list.org, n } end,
      n = 1, sum = list.sum, cg = { 1, 3 } },
    { key = "decode", title = "decode 10,000 list (memory)", impls = DECODERS,
      args = function(n) return { "decode", list.file, n } end,
      n = 1, sum = list.sum, cg = { 1, 3 } },
    { key = "lat1", title = ("%d GETs @20ms, 1 at a time"):format(#fx.ids), impls = M.IMPLS,
      args = function() return { "ids", srv.slow, fx.org, fx.ids_file, 1 } end,
      n = 1, sum = fx.sums.ids },
    { key = "lat8", title = ("%d GETs @20ms, 8 at a time"):format(#fx.ids), impls = M.IMPLS,
      args = function() return { "ids", srv.slow, fx.org, fx.ids_file, 8 } end,
      n = 1, sum = fx.sums.ids, concurrent = true },
  }
  local plan = {}
  for _, w in ipairs(works) do
    if not o.only or o.only[w.key] then
      for _, impl in ipairs(w.impls) do
        local e = { work = w, impl = impl, argv = argv(impl, w.args(w.n)),
          expect = string.format("%d", w.sum * w.n) }
        if w.concurrent and impl.sequential_only then e.na = "no concurrency in socket.http" end
        if w.cg and o.callgrind then
          e.cg = { argv(impl, w.args(w.cg[1])), argv(impl, w.args(w.cg[2])), w.cg[2] - w.cg[1] }
        end
        plan[#plan + 1] = e
      end
    end
  end
  return plan
end

return M
