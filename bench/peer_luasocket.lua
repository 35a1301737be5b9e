-- Peer: Lua 5.4 + luasocket's socket.http + lua-cjson, used as users would.
-- socket.http sends "Connection: close" and opens a connection per request;
-- keeping one alive would mean writing an HTTP client, which users don't.
-- A post-pass makes the decoded tables match mistapi's: integer epochs, no null.
package.path = (arg[0]:match("^(.*)/[^/]*$") or ".") .. "/lib/?.lua;" .. package.path
local args = require "args"
local http = require "socket.http"
local ltn12 = require "ltn12"
local cjson = require "cjson"
local post = require "postpass"

local a = args.parse(arg)
if a.mode == "decode" then args.fail("peer_luasocket: decode is bench/ref_cjson.lua's work") end
if a.mode == "ids" and a.conc ~= 1 then args.fail("peer_luasocket: no concurrency in socket.http") end

local HEADERS = { authorization = "Token " .. (os.getenv("MIST_APITOKEN") or ""), accept = "application/json" }

local function get(url)
  local chunks = {}
  local ok, status = http.request{ url = url, headers = HEADERS, sink = ltn12.sink.table(chunks) }
  if not ok or status ~= 200 then args.fail("peer_luasocket: GET failed: " .. tostring(status)) end
  return cjson.decode(table.concat(chunks))
end

local sum = 0
if a.mode == "get" then
  local url = a.base .. "/api/v1/orgs/" .. a.org .. "/apitokens/" .. a.id
  for _ = 1, a.count do sum = sum + args.token_sum(post.token(get(url))) end
elseif a.mode == "list" then
  local url = a.base .. "/api/v1/orgs/" .. a.org .. "/apitokens"
  for _ = 1, a.count do sum = sum + args.list_sum(post.list(get(url))) end
else
  local prefix = a.base .. "/api/v1/orgs/" .. a.org .. "/apitokens/"
  for _, id in ipairs(args.read_ids(a.ids_file)) do
    sum = sum + args.token_sum(post.token(get(prefix .. id)))
  end
end
args.done(sum)
