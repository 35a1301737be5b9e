-- Fixed answers for the benchmark server: tokens shaped like the spec's
-- ApitokenOrgExample, with distinct UUIDs and integer epochs, written as files
-- nginx serves with its static handler. Also the checksum every
-- implementation must print: per token 1 + created_time + (last_used or 0).
local M = {}

local ROLES = { "admin", "helpdesk", "installer", "read", "write" }

-- Deterministic, distinct, valid (version 4, variant 8) UUIDs from a counter.
local function uuid(kind, n)
  local h = (n * 2654435761 + kind * 40503) % 0x100000000
  return string.format("%08x-%04x-4%03x-8%03x-%012x", h, kind, n % 0x1000, (n // 0x1000) % 0x1000, n)
end
M.uuid = uuid

local function privileges(org_id, n)
  local out = {}
  for p = 1, n % 3 + 1 do
    local role = ROLES[(n + p) % #ROLES + 1]
    if p == 2 then
      out[p] = string.format('{"org_id":"%s","role":"%s","scope":"site","site_id":"%s"}',
        org_id, role, uuid(7, n))
    else
      out[p] = string.format('{"org_id":"%s","role":"%s","scope":"org"}', org_id, role)
    end
  end
  return "[" .. table.concat(out, ",") .. "]"
end

-- One token as JSON text and its checksum contribution.
local function token(org_id, n)
  local created = 1626875902 + n * 37
  local last_used = (n % 5 ~= 0) and (1690115110 + n) or nil
  local text = string.format(
    '{"created_by":%s,"created_time":%d,"id":"%s","key":"1qkb...%04X","last_used":%s,' ..
    '"name":"org_token_%05d","org_id":"%s","privileges":%s}',
    (n % 7 ~= 0) and '"user@mycorp.com"' or "null", created, uuid(1, n), n % 0x10000,
    last_used and string.format("%d", last_used) or "null", n, org_id, privileges(org_id, n))
  return text, 1 + created + (last_used or 0)
end

local function write(path, text)
  local f = assert(io.open(path, "wb"))
  assert(f:write(text))
  assert(f:close())
end

-- Writes <dir>/www/token/<id>.json and <dir>/www/list/<org>.json, and
-- <dir>/ids.txt (the ids for the latency work). Returns the fixture facts.
function M.generate(dir, opts)
  local n_ids = opts.ids or 200
  local org = uuid(2, 1)
  local fx = { org = org, lists = {}, ids_file = dir .. "/ids.txt", ids = {}, sums = {} }
  os.execute("mkdir -p '" .. dir .. "/www/token' '" .. dir .. "/www/list'")

  -- the single token (every field set), then the ids the latency work walks
  local text, sum = token(org, 1000001)
  fx.one_id, fx.sums.one = uuid(1, 1000001), sum
  write(dir .. "/www/token/" .. fx.one_id .. ".json", text)
  local ids_sum, upto = 0, {}
  for i = 1, n_ids do
    text, sum = token(org, i)
    fx.ids[i] = uuid(1, i)
    ids_sum = ids_sum + sum
    upto[i] = ids_sum
    write(dir .. "/www/token/" .. fx.ids[i] .. ".json", text)
  end
  fx.sums.ids = ids_sum
  write(fx.ids_file, table.concat(fx.ids, "\n") .. "\n")
  -- the first n ids on their own, for works that make fewer calls
  fx.first = {}
  for _, n in ipairs(opts.subsets or {}) do
    n = math.min(n, n_ids)
    local file = string.format("%s/ids-%d.txt", dir, n)
    write(file, table.concat(fx.ids, "\n", 1, n) .. "\n")
    fx.first[n] = { file = file, sum = upto[n], n = n }
  end

  -- lists: each has its own org, so the list path alone picks the file
  for k, size in ipairs({ 10, 1000, 10000 }) do
    local list_org = uuid(3, k)
    local parts, total = {}, 0
    for i = 1, size do
      parts[i], sum = token(list_org, 100000 * k + i)
      total = total + sum
    end
    write(dir .. "/www/list/" .. list_org .. ".json", "[" .. table.concat(parts, ",") .. "]")
    fx.lists[size] = { org = list_org, sum = total, file = dir .. "/www/list/" .. list_org .. ".json" }
  end
  return fx
end

return M
