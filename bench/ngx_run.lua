-- The bench's work inside nginx, through mistapi's ngx transport (cosockets),
-- as an OpenResty handler meets it: GET /run?mode=get&base=..&org=..&id=..&count=N
-- or mode=ids&base=..&org=..&ids=FILE&conc=N. Answers "checksum N" and
-- "ms T", the time the work took inside the handler (client made, calls
-- made and decoded). The connection pool is the worker's: warm after the
-- first run, as in a long-lived worker.
local args = require "args"
local ngx = rawget(_G, "ngx")

local M = {}

local function work(q)
  local mistapi = require "mistapi"
  local client = assert(mistapi.new{ base_url = q.base, token = os.getenv("MIST_APITOKEN"), transport = "ngx" })
  local tokens = client:orgs_api_tokens()
  local sum = 0
  local function check(res, err)
    if not res then error("ngx_run: " .. tostring(err), 0) end
    return res.data
  end
  if q.mode == "get" then
    for _ = 1, tonumber(q.count) do
      sum = sum + args.token_sum(check(tokens:get_org_api_token(q.org, q.id)))
    end
  else
    local ids = args.read_ids(q.ids)
    local conc = tonumber(q.conc)
    if conc == 1 then
      for _, id in ipairs(ids) do sum = sum + args.token_sum(check(tokens:get_org_api_token(q.org, id))) end
    else
      local data = check(tokens:get_org_api_tokens(q.org, ids, { concurrency = conc }))
      for i = 1, #ids do
        if not data[i] then error("ngx_run: GET of ids[" .. i .. "] failed", 0) end
        sum = sum + args.token_sum(data[i])
      end
    end
  end
  client:close()
  return sum
end

function M.handle()
  local q = ngx.req.get_uri_args()
  ngx.update_time()
  local t0 = ngx.now()
  local ok, sum = pcall(work, q)
  ngx.update_time()
  local ms = (ngx.now() - t0) * 1000
  if not ok then
    ngx.status = 500
    ngx.say(tostring(sum))
    return
  end
  ngx.say(string.format("checksum %.0f", sum))
  ngx.say(string.format("ms %.3f", ms))
end

return M
