-- The issue's targets, judged from the measured rows; each says by how much
-- it is met or missed.
local figures = require "fleet_figures"

local M = {}

local function pct(x) return string.format("%+.0f%%", (x - 1) * 100) end

local function within(name, value, floor, limit, unit)
  if not value or not floor or floor <= 0 then return { name = name, detail = "not measured" } end
  local r = value / floor
  return { name = name, met = r <= limit,
    detail = string.format("%.2fx %s (limit %.2fx; %s vs floor)", r, unit, limit, pct(r)) }
end

local function below(name, mine, ref, what)
  if not mine or not ref then return { name = name, detail = "not measured" } end
  return { name = name, met = mine < ref,
    detail = string.format("%.2fx the reference's instructions (%s)", mine / ref, what) }
end

-- rows: array of rows; `require_info`: { [key] = { ms =, network = } }.
function M.judge(rows, require_info)
  local at = {}
  for _, r in ipairs(rows) do
    if r.status == "ok" then
      at[r.work] = at[r.work] or {}
      at[r.work][r.key] = r
    end
  end
  local function get(work, key, field) return at[work] and at[work][key] and at[work][key][field] end
  local out = {}
  local function add(t) out[#out + 1] = t end
  for _, key in ipairs({ "mistapi-5.4", "mistapi-jit" }) do
    local tag = key == "mistapi-5.4" and "[5.4]" or "[jit]"
    add(within(tag .. " GET one token: instr/req <= 1.10x floor",
      get("get", key, "ipr"), get("get", "floor", "ipr"), 1.10, "instr"))
    add(within(tag .. " GET one token: CPU <= 1.10x floor",
      get("get", key, "cpu"), get("get", "floor", "cpu"), 1.10, "CPU"))
    add(within(tag .. " 10,000 list: instr <= 1.10x floor",
      get("list", key, "ipr"), get("list", "floor", "ipr"), 1.10, "instr"))
    add(below(tag .. " 10,000 list: instr < cjson.decode+post-pass",
      get("list", key, "ipr"), get("list", "cjson-post", "ipr"), "same HTTP core, Lua 5.4 reference"))
    add(below(tag .. " (decoder alone, in memory: same comparison)",
      get("decode", key, "ipr"), get("decode", "cjson-post", "ipr"), "core.decode vs cjson+post-pass"))
    local rss = get("list", key, "rss")
    add(rss and { name = tag .. " 10,000 list: peak RSS <= 30 MiB", met = rss <= 30 * 1024,
      detail = string.format("%.1f MiB", rss / 1024) }
      or { name = tag .. " 10,000 list: peak RSS <= 30 MiB", detail = "not measured" })
    local one, eight = get("lat1", key, "wall"), get("lat8", key, "wall")
    add(one and eight and { name = tag .. " 8 at a time >= 6x faster than 1 (20 ms)", met = one / eight >= 6,
      detail = string.format("%.2fx faster", one / eight) }
      or { name = tag .. " 8 at a time >= 6x faster than 1 (20 ms)", detail = "not measured (n/a)" })
    add(within(tag .. " start-up, require + new{}: instr <= 1.30x floor",
      get("startup", key, "ipr"), get("startup", "floor", "ipr"), 1.30, "instr (whole process)"))
    local req = require_info[key]
    local up = get("startup", key, "wall")
    add(up and req and req.bare and { name = tag .. " start-up, require + new{}: < 5 ms",
      met = (up - req.bare) * 1000 < 5,
      detail = string.format("%.2f ms over a bare interpreter's start", (up - req.bare) * 1000) }
      or { name = tag .. " start-up, require + new{}: < 5 ms", detail = "not measured" })
    add(within(tag .. " 40 GETs @20ms, 8 at a time: wall <= 1.05x",
      get("bulk", key, "wall"), get("bulk", "floor", "wall"), 1.05, "wall"))
    local h1, h2 = get("rtt_lat8", key, "tls"), get("rtt_lat8_h2", key, "tls")
    add(h1 and h2 and { name = tag .. " 8 at a time over TLS: h2 shares 1 connection",
      met = h2.handshakes == 1 and h2.proto == "HTTP/2.0",
      detail = string.format("%d connections with HTTP/2 offered (%s), %d without", h2.handshakes,
        tostring(h2.proto), h1.handshakes) }
      or { name = tag .. " 8 at a time over TLS: h2 shares 1 connection", detail = "not measured" })
    add(req and req.ms and { name = tag .. ' require "mistapi" < 5 ms, no network',
      met = req.ms < 5 and req.network == 0,
      detail = string.format("%.2f ms, %s", req.ms, req.network == nil and "network not checked (no strace)"
        or (req.network .. " network syscalls")) }
      or { name = tag .. ' require "mistapi" < 5 ms, no network', detail = "not measured" })
  end
  for _, t in ipairs(figures.judge(at.fleet429 and at.fleet429.independent, at.fleet429 and at.fleet429.shared)) do
    add(t)
  end
  return out
end

return M
