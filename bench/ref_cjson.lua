-- The reference the issue names for the 10,000-token list, on Lua 5.4:
-- lua-cjson's decode alone, or with the Lua post-pass that turns its floats
-- into integers ("post").
--   decode FILE COUNT [post]      from memory
--   list BASE ORG COUNT [post]    fetched with mistapi's own libcurl session,
--                                 so only the decoding differs from mistapi
local dir = arg[0]:match("^(.*)/[^/]*$") or "."
package.path = dir .. "/lib/?.lua;" .. package.path
package.cpath = dir .. "/../build/5.4/?.so;" .. package.cpath
local args = require "args"
local cjson = require "cjson"
local post = require "postpass"

local with_post = arg[#arg] == "post"
local argv = { table.unpack(arg, 1, with_post and #arg - 1 or #arg) }
local a = args.parse(argv)

local fetch
if a.mode == "decode" then
  local text = args.read_file(a.file)
  fetch = function() return text end
elseif a.mode == "list" then
  local session = require("mistapi.core").session{ allow_http = true }
  local url = a.base .. "/api/v1/orgs/" .. a.org .. "/apitokens"
  local headers = { Authorization = "Token " .. (os.getenv("MIST_APITOKEN") or ""), Accept = "application/json" }
  fetch = function()
    local status, _, body = session:request("GET", url, headers)
    if status ~= 200 then args.fail("ref_cjson: GET failed") end
    return body
  end
else
  args.fail("ref_cjson: decode FILE COUNT [post] | list BASE ORG COUNT [post]")
end

local sum = 0
for _ = 1, a.count do
  local list = cjson.decode(fetch())
  if with_post then post.list(list) end
  sum = sum + args.list_sum(list)
end
args.done(sum)
