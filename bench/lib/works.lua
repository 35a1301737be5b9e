-- What is measured: each work, the implementations that do it, the command
-- line for each, the checksum it must print, and the request counts that
-- callgrind's long and short runs differ by (or, for start-up, a whole
-- process's instructions).
local M = {}

M.IMPLS = {
  { key = "floor", name = "floor: C libcurl+cJSON", cmd = { "build/bench/floor" } },
  { key = "mistapi-5.4", name = "mistapi, Lua 5.4", cmd = { "lua5.4", "bench/run_mistapi.lua" } },
  { key = "mistapi-jit", name = "mistapi, LuaJIT", cmd = { "luajit", "bench/run_mistapi.lua" } },
  { key = "luasocket", name = "Lua 5.4 luasocket+cjson", cmd = { "lua5.4", "bench/peer_luasocket.lua" },
    sequential_only = true },
  { key = "python", name = "Python 3 requests+json", cmd = { "/usr/bin/python3", "bench/peer_python.py" } },
}

-- mistapi's ngx transport, run by a handler inside a second nginx and timed
-- there (bench/ngx_run.lua, bench/lib/client.lua).
-- Cold: a new nginx worker for each run, nothing pooled; warm: the same
-- worker run after run, its connections pooled, as a long-lived one meets it.
local NGX = { key = "ngx", name = "mistapi ngx, new worker", inside = true, fresh = true }
local NGX_WARM = { key = "ngx-warm", name = "mistapi ngx, warm worker", inside = true }

-- Start-up: what a program does before its first request.
local STARTERS = { M.IMPLS[1], M.IMPLS[2], M.IMPLS[3] }

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

-- ngx_lua verifies a certificate by host name, not by IP address.
local function named(url) return (url:gsub("^https://127%.0%.0%.1:", "https://localhost:")) end

-- One entry per (work, implementation): { work, impl, argv (or q for the
-- ngx handler), expect, cg = {short, long, diff} }.
function M.plan(fx, srv, o)
  local list = fx.lists[10000]
  local few, far, near = fx.first[o.bulk_n], fx.first[o.rtt_n], fx.first[o.tls_n]
  local tls = srv.tls
  local function ids(url, set, conc)
    return function() return { "ids", url, fx.org, set.file, conc } end
  end
  local function ids_q(url, set, conc)
    return { mode = "ids", base = named(url), org = fx.org, ids = set.file, conc = conc }
  end
  local all = { file = fx.ids_file, sum = fx.sums.ids, n = #fx.ids }
  local tls_impls = with(M.IMPLS, { NGX, NGX_WARM })
  local works = {
    { key = "get", title = ("GET one token x%d"):format(o.get_n), impls = M.IMPLS,
      args = function(n) return { "get", srv.fast, fx.org, fx.one_id, n } end,
      -- 1,000 GETs between the two runs: over 100, LuaJIT's trace compiling and
      -- whether a collector cycle fell in the window moved the figure by up to 8%
      n = o.get_n, sum = fx.sums.one, cg = { 10, 1010 } },
    { key = "list", title = "GET 10,000-token list", impls = with(M.IMPLS, LIST_REFS),
      args = function(n) return { "list", srv.fast, list.org, n } end,
      n = 1, sum = list.sum, cg = { 1, 3 } },
    { key = "decode", title = "decode 10,000 list (memory)", impls = DECODERS,
      args = function(n) return { "decode", list.file, n } end,
      n = 1, sum = list.sum, cg = { 1, 3 } },
    { key = "lat1", title = ("%d GETs @20ms, 1 at a time"):format(all.n), impls = M.IMPLS,
      args = ids(srv.slow, all, 1), n = 1, sum = all.sum },
    { key = "lat8", title = ("%d GETs @20ms, 8 at a time"):format(all.n), impls = M.IMPLS,
      args = ids(srv.slow, all, 8), n = 1, sum = all.sum, concurrent = true },
    { key = "bulk", title = ("%d GETs @20ms, 8 at a time"):format(few.n), impls = M.IMPLS,
      args = ids(srv.slow, few, 8), n = 1, sum = few.sum, concurrent = true },
    { key = "startup", title = "start-up: require + new{}", impls = STARTERS, total = true,
      args = function() return { "new", srv.fast } end, floor_args = { "startup" }, n = 1, sum = 0 },
    { key = "first", title = "start-up + 1 GET", impls = STARTERS, total = true,
      args = function() return { "get", srv.fast, fx.org, fx.one_id, 1 } end, n = 1, sum = fx.sums.one },
    { key = "tls_first", title = "TLS 80ms RTT: 1st GET, whole run", impls = with(M.IMPLS, { NGX }), tls = true,
      args = function() return { "get", tls.rtt, fx.org, fx.one_id, 1 } end, n = 1, sum = fx.sums.one,
      q = { mode = "get", base = named(tls.rtt), org = fx.org, id = fx.one_id, count = 1 } },
    { key = "tls_lat1", title = ("TLS %d GETs @20ms, 1 at a time"):format(near.n), impls = tls_impls, tls = true,
      args = ids(tls.slow, near, 1), q = ids_q(tls.slow, near, 1), n = 1, sum = near.sum },
    { key = "tls_lat8", title = ("TLS %d GETs @20ms, 8 at a time"):format(near.n), impls = tls_impls, tls = true,
      args = ids(tls.slow, near, 8), q = ids_q(tls.slow, near, 8), n = 1, sum = near.sum, concurrent = true },
    { key = "tls_lat8_h2", title = ("TLS+h2 %d GETs @20ms, 8 at a time"):format(near.n), impls = tls_impls,
      tls = true, args = ids(tls.slow_h2, near, 8), q = ids_q(tls.slow_h2, near, 8), n = 1, sum = near.sum,
      concurrent = true },
    { key = "rtt_lat1", title = ("TLS %d GETs 80ms RTT, 1 at a time"):format(far.n), impls = tls_impls,
      tls = true, args = ids(tls.rtt, far, 1), q = ids_q(tls.rtt, far, 1), n = 1, sum = far.sum, runs = 3 },
    { key = "rtt_lat8", title = ("TLS %d GETs 80ms RTT, 8 at a time"):format(far.n), impls = tls_impls,
      tls = true, args = ids(tls.rtt, far, 8), q = ids_q(tls.rtt, far, 8), n = 1, sum = far.sum,
      concurrent = true },
    { key = "rtt_lat8_h2", title = ("TLS+h2 %d GETs 80ms RTT, 8 at a time"):format(far.n), impls = tls_impls,
      tls = true, args = ids(tls.rtt_h2, far, 8), q = ids_q(tls.rtt_h2, far, 8), n = 1, sum = far.sum,
      concurrent = true },
  }
  local plan = {}
  for _, w in ipairs(works) do
    if not o.only or o.only[w.key] then
      for _, impl in ipairs(w.impls) do
        local e = { work = w, impl = impl, expect = string.format("%d", w.sum * w.n) }
        if impl.inside then
          e.q = w.q
        else
          e.argv = argv(impl, (impl.key == "floor" and w.floor_args) or w.args(w.n))
        end
        if w.concurrent and impl.sequential_only then e.na = "no concurrency in socket.http" end
        if w.tls and impl.key == "luasocket" then e.na = "no TLS without LuaSec" end
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
