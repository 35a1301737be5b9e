-- The reference the issue names for the 10,000-token list: lua-cjson's
-- decode alone ("decode FILE COUNT"), or with the Lua post-pass
-- ("decode FILE COUNT post") that turns its floats into integers.
package.path = (arg[0]:match("^(.*)/[^/]*$") or ".") .. "/lib/?.lua;" .. package.path
local args = require "args"
local cjson = require "cjson"
local post = require "postpass"

local with_post = arg[4] == "post"
local a = args.parse({ arg[1], arg[2], arg[3] })
if a.mode ~= "decode" then args.fail("ref_cjson: only decode FILE COUNT [post]") end
local text = args.read_file(a.file)
local sum = 0
for _ = 1, a.count do
  local list = cjson.decode(text)
  if with_post then post.list(list) end
  sum = sum + args.list_sum(list)
end
args.done(sum)
