-- The command line every Lua implementation shares with bench/floor.c:
--   get BASE ORG ID COUNT | list BASE ORG COUNT | ids BASE ORG IDSFILE CONC | decode FILE COUNT
-- and the checksum they all print.
local M = {}

local ARITY = { get = 5, list = 4, ids = 5, decode = 3 }

function M.parse(argv)
  local mode = argv[1]
  if not ARITY[mode] or #argv ~= ARITY[mode] then
    io.stderr:write("usage: get BASE ORG ID COUNT | list BASE ORG COUNT | ",
      "ids BASE ORG IDSFILE CONC | decode FILE COUNT\n")
    os.exit(2)
  end
  local a = { mode = mode }
  if mode == "decode" then
    a.file, a.count = argv[2], tonumber(argv[3])
  else
    a.base, a.org = argv[2], argv[3]
    if mode == "get" then a.id, a.count = argv[4], tonumber(argv[5])
    elseif mode == "list" then a.count = tonumber(argv[4])
    else a.ids_file, a.conc = argv[4], tonumber(argv[5]) end
  end
  return a
end

function M.read_ids(path)
  local ids = {}
  for line in io.lines(path) do
    if line ~= "" then ids[#ids + 1] = line end
  end
  return ids
end

function M.read_file(path)
  local f = assert(io.open(path, "rb"))
  local text = f:read("a")
  f:close()
  return text
end

-- One token's share of the checksum; nil when the token is malformed.
function M.token_sum(t)
  local c, u = t.created_time, t.last_used
  if type(c) ~= "number" then return nil end
  return 1 + c + (type(u) == "number" and u or 0)
end

function M.list_sum(list)
  local sum = 0
  for i = 1, #list do
    local s = M.token_sum(list[i])
    if not s then return nil end
    sum = sum + s
  end
  return sum
end

function M.done(sum)
  io.write(string.format("checksum %.0f\n", sum))
end

function M.fail(msg)
  io.stderr:write(msg, "\n")
  os.exit(1)
end

-- Makes bench/lib/ requirable from a script in bench/.
function M.script_dir()
  return (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
end

return M
