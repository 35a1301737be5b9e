-- mistapi through its public API, on Lua 5.4 or LuaJIT (same script):
--   get BASE ORG ID COUNT | list BASE ORG COUNT | ids BASE ORG IDSFILE CONC
--   decode FILE COUNT  (the core's decoder alone, for the list reference)
--   startup | require  (for timing `require "mistapi"`)
--   new BASE  (require, then a client made and closed: a program's start-up)
-- Over https it trusts BENCH_CA_FILE.
-- Finds lua/ and build/<abi>/ from its own place in the tree.
local dir = arg[0]:match("^(.*)/[^/]*$") or "."
local abi = _VERSION == "Lua 5.4" and "5.4" or "5.1"
package.path = dir .. "/lib/?.lua;" .. dir .. "/../lua/?.lua;" .. dir .. "/../lua/?/init.lua;" .. package.path
package.cpath = dir .. "/../build/" .. abi .. "/?.so;" .. package.cpath

if arg[1] == "startup" then return end
if arg[1] == "require" then
  require "mistapi"
  return
end

local CA = os.getenv("BENCH_CA_FILE")
if arg[1] == "new" then
  local client = assert(require("mistapi").new{ base_url = arg[2], token = os.getenv("MIST_APITOKEN"), ca_file = CA })
  client:close()
  io.write("checksum 0\n")
  return
end

local args = require "args"
local a = args.parse(arg)
local sum = 0

if a.mode == "decode" then
  local core = require "mistapi.core"
  local text = args.read_file(a.file)
  for _ = 1, a.count do
    sum = sum + assert(args.list_sum(assert(core.decode(text, "tokens"))))
  end
  return args.done(sum)
end

local mistapi = require "mistapi"
local client = assert(mistapi.new{ base_url = a.base, token = os.getenv("MIST_APITOKEN"), ca_file = CA })
local tokens = client:orgs_api_tokens()

local function check(res, err)
  if not res then args.fail("run_mistapi: " .. tostring(err)) end
  return res.data
end

if a.mode == "get" then
  for _ = 1, a.count do
    sum = sum + args.token_sum(check(tokens:get_org_api_token(a.org, a.id)))
  end
elseif a.mode == "list" then
  for _ = 1, a.count do
    sum = sum + args.list_sum(check(tokens:list_org_api_tokens(a.org)))
  end
elseif a.conc == 1 then
  for _, id in ipairs(args.read_ids(a.ids_file)) do
    sum = sum + args.token_sum(check(tokens:get_org_api_token(a.org, id)))
  end
else
  if not tokens.get_org_api_tokens then
    io.stderr:write("run_mistapi: tokens:get_org_api_tokens is not there yet\n")
    os.exit(3) -- the runner shows n/a
  end
  local ids = args.read_ids(a.ids_file)
  local data = check(tokens:get_org_api_tokens(a.org, ids, { concurrency = a.conc }))
  for i = 1, #ids do -- data[i] is false when that GET failed
    if not data[i] then args.fail("run_mistapi: GET of ids[" .. i .. "] failed") end
    sum = sum + args.token_sum(data[i])
  end
end
client:close()
args.done(sum)
