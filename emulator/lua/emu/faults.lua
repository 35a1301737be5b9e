-- Faults on demand: queued for the next N matching requests (control API) or given
-- for one request in the X-Emu-Fault header (a JSON object). See README.md, "The local Mist API emulator".
local dict = require "emu.dict"
local json = require "emu.json"
local respond = require "emu.respond"

local M = {}

local MAX_TRICKLE_MS = 60000
local CHUNK = 65536
local SAMPLE = '{"id":"497f6eca-6276-4993-bfeb-53efbbba6f08","name":"org_token_xyz",'
  .. '"org_id":"a40f5d1f-d889-42e9-94ea-b9b33585fc6b","key":"1qkb...QQCL","created_time":1626875902,'
  .. '"created_by":null,"last_used":null,"privileges":[{"role":"admin","scope":"org"}]}'

-- kind -> default phase: "before" answers instead of the handler, "after" mangles its answer
local KINDS = {
  latency = "before", status = "before", redirect = "before", raw = "before", oversize = "before",
  close = "after", truncate = "after", malformed = "after", trickle = "after", huge_header = "after",
  hold = "before",
}

local function num(f, name, lo, hi)
  local v = f[name]
  if v == nil then
    return true
  end
  if type(v) ~= "number" or v ~= math.floor(v) or v < lo or v > hi then
    return nil, name .. " must be an integer from " .. lo .. " to " .. hi
  end
  return true
end

-- Check a fault given by a test; -> fault | nil, message
function M.check(f)
  if not json.is_object(f) then
    return nil, "a fault is a JSON object"
  end
  if not KINDS[f.kind] then
    local names = {}
    for k in pairs(KINDS) do
      names[#names + 1] = k
    end
    table.sort(names)
    return nil, "kind must be one of " .. table.concat(names, ", ")
  end
  if f.phase ~= nil and f.phase ~= "before" and f.phase ~= "after" then
    return nil, "phase must be before or after"
  end
  local limits = {
    { "count", 1, 1000000 }, { "ms", 0, 600000 }, { "status", 100, 599 }, { "bytes", 0, 4294967296 },
    { "interval_ms", 1, 10000 }, { "chunk", 1, 1048576 }, { "max_ms", 1, MAX_TRICKLE_MS },
    { "repeat", 1, 100000000 }, { "content_length", 0, 4294967296 }, { "skip", 0, 1000000 },
  }
  for _, l in ipairs(limits) do
    local ok, err = num(f, l[1], l[2], l[3])
    if not ok then
      return nil, err
    end
  end
  for _, name in ipairs({ "body", "body_base64", "location", "method", "path" }) do
    if f[name] ~= nil and type(f[name]) ~= "string" then
      return nil, name .. " must be a string"
    end
  end
  if f.body_base64 and not ngx.decode_base64(f.body_base64) then
    return nil, "body_base64 is not valid base64"
  end
  if f.headers ~= nil then
    if not json.is_object(f.headers) then
      return nil, "headers must be an object of name: value"
    end
    for k, v in pairs(f.headers) do
      if type(v) ~= "string" or not tostring(k):match("^[%w%-]+$") then
        return nil, "headers must map names to string values"
      end
    end
  end
  f.phase = f.phase or KINDS[f.kind]
  f.count = f.count or 1
  return f
end

local function matches(f, ctx)
  if f.method and f.method:upper() ~= ctx.method then
    return false
  end
  if f.path and ctx.path:sub(1, #f.path) ~= f.path then
    return false
  end
  return true
end

function M.queue(list)
  local queued = json.decode(dict:get("faults") or "[]") or {}
  for _, f in ipairs(list) do
    queued[#queued + 1] = f
  end
  dict:set("faults", #queued > 0 and json.encode(queued) or "[]")
  return #queued
end

function M.list()
  return dict:get("faults") or "[]"
end

function M.clear()
  dict:set("faults", "[]")
end

-- The fault for this request, if any: the header's, else the first queued match
-- that has no more matches to let pass (`skip`: that many matching requests go by
-- untouched first, so a test can spoil exactly the n-th call of a run).
function M.take(ctx)
  local h = ctx.headers["x-emu-fault"]
  if type(h) == "string" then
    local f = M.check(json.decode(h))
    if f then
      return f
    end
  end
  local text = dict:get("faults")
  if not text or text == "[]" then
    return nil
  end
  local queued = json.decode(text)
  for i, f in ipairs(queued) do
    if matches(f, ctx) and (f.skip or 0) > 0 then
      f.skip = f.skip - 1
      dict:set("faults", json.encode(queued))
    elseif matches(f, ctx) then
      f.count = f.count - 1
      if f.count <= 0 then
        table.remove(queued, i)
      end
      dict:set("faults", #queued > 0 and json.encode(queued) or "[]")
      return f
    end
  end
  return nil
end

local function body_of(f)
  local body = f.body or (f.body_base64 and ngx.decode_base64(f.body_base64)) or ""
  if f["repeat"] then
    body = body:rep(f["repeat"])
  end
  return body
end

local function send_cut(status, headers, body, declared, cut)
  respond.headers(status, headers, declared)
  ngx.print(body:sub(1, cut))
  return respond.abort()
end

local function trickle(f, res)
  local interval = (f.interval_ms or 100) / 1000
  local deadline = ngx.now() + (f.max_ms or 30000) / 1000
  local chunk = f.chunk or 1
  local body = res.body or ""
  if f.endless then
    -- a body that never ends: a Content-Length it never reaches, then a close at max_ms
    respond.headers(res.status, res.headers, f.content_length or 1073741824)
    for _ = 1, (f.max_ms or 30000) / (f.interval_ms or 100) + 1 do
      if ngx.now() >= deadline then
        break
      end
      ngx.print((" "):rep(chunk))
      if not ngx.flush(true) then
        break
      end
      ngx.sleep(interval)
    end
    return respond.abort()
  end
  respond.headers(res.status, res.headers, #body)
  local at = 1
  while at <= #body do
    ngx.print(body:sub(at, at + chunk - 1))
    if not ngx.flush(true) then
      return respond.abort()
    end
    at = at + chunk
    if at <= #body then
      if ngx.now() >= deadline then
        return respond.abort()
      end
      ngx.sleep(interval)
    end
  end
  return ngx.exit(ngx.OK)
end

local function oversize(f)
  local n = f.bytes or 100 * 1048576
  local head, tail = '{"pad":"', '"}'
  respond.headers(f.status or 200, f.headers, n)
  if n < #head + #tail then
    ngx.print(("x"):rep(n))
    return ngx.exit(ngx.OK)
  end
  ngx.print(head)
  local left = n - #head - #tail
  local block = ("x"):rep(CHUNK)
  while left > 0 do
    ngx.print(left >= CHUNK and block or block:sub(1, left))
    left = left - CHUNK
    if not ngx.flush(true) then
      return respond.abort()
    end
  end
  ngx.print(tail)
  return ngx.exit(ngx.OK)
end

-- Status the log records for a fault's answer (0: the connection closed before any).
function M.status_of(f, res)
  if f.kind == "status" then
    return f.status or 503
  elseif f.kind == "redirect" then
    return f.status or 302
  elseif f.kind == "raw" or f.kind == "oversize" then
    return f.status or 200
  elseif f.kind == "close" and f.before_headers or f.kind == "hold" then
    return 0
  end
  return res and res.status or 200
end

-- Answer with the fault. `res` is the handler's answer ("after") or nil ("before").
function M.deliver(f, res, ctx)
  res = res or respond.raw(200, SAMPLE)
  local body = res.body or ""
  local kind = f.kind
  if kind == "status" then
    local status = f.status or 503
    local headers = f.headers or {}
    if f.retry_after then
      headers["Retry-After"] = tostring(f.retry_after)
    end
    return respond.send(respond.raw(status, f.body or json.encode{ detail = "emulated fault: HTTP " .. status },
      headers))
  elseif kind == "redirect" then
    local headers = f.headers or {}
    headers["Location"] = f.location or ("http://redirect.invalid" .. ctx.request_uri)
    return respond.send(respond.detail(f.status or 302, "Moved", headers))
  elseif kind == "raw" then
    local raw = body_of(f)
    if f.content_length and f.content_length > #raw then
      return send_cut(f.status or 200, f.headers, raw, f.content_length, #raw)
    end
    return respond.send(respond.raw(f.status or 200, raw, f.headers))
  elseif kind == "oversize" then
    return oversize(f)
  elseif kind == "close" then
    if f.before_headers then
      return ngx.exit(444)
    end
    -- cut at a fixed place of the answer: the same bytes reach the client on every run
    body = json.canonical(body)
    return send_cut(res.status, res.headers, body, #body, f.bytes or math.floor(#body / 2))
  elseif kind == "truncate" then
    body = json.canonical(body)
    return respond.send(respond.raw(res.status, body:sub(1, f.bytes or math.floor(#body / 2)), res.headers))
  elseif kind == "malformed" then
    return respond.send(respond.raw(res.status, f.body or '{"id": "497f6eca-6276", "name": ,}', res.headers))
  elseif kind == "trickle" then
    return trickle(f, res)
  elseif kind == "hold" then
    -- held, then dropped without being carried out: the client sees no answer (or
    -- was killed meanwhile; nginx never notices, so nothing may act after the wait)
    ngx.sleep((f.ms or 10000) / 1000)
    return ngx.exit(444)
  elseif kind == "huge_header" then
    res.headers["X-Emu-Huge"] = ("h"):rep(f.bytes or 1048576)
    return respond.send(res)
  end
  return respond.send(res)
end

return M
